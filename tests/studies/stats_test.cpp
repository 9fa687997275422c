// The model bootstrap of `headcount reproduce` (studies/stats.hpp) against
// cases whose resampling distribution is known by hand or by enumerating
// every resample (a naive oracle).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "studies/reproduce.hpp"
#include "studies/stats.hpp"

namespace hc::repro {
namespace stats_test {

// Two models of two checkpoints each. Model A: (0,0), (1,1) (r = +1 alone);
// model B: (0,1), (1,0) (r = -1 alone); both together: x = 0 1 0 1,
// y = 0 1 1 0, r = 0. Resampling 2 models with replacement gives AA (r = +1,
// probability 1/4), AB or BA (r = 0, 1/2), BB (r = -1, 1/4): by hand.
const std::vector<std::vector<double>> kX = {{0, 1}, {0, 1}}, kY = {{0, 1}, {1, 0}};

TEST(ClusterBootstrap, ClusteredPearsonMatchesTheHandComputedDistribution) {
  std::vector<double> x, y;
  const int R = 20000;
  const auto draws = cluster_bootstrap_draws(
      2,
      [&](const std::vector<int>& p) {
        x.clear(), y.clear();
        for (int i : p) {
          x.insert(x.end(), kX[size_t(i)].begin(), kX[size_t(i)].end());
          y.insert(y.end(), kY[size_t(i)].begin(), kY[size_t(i)].end());
        }
        return pearson(x, y);
      },
      R, 3);
  std::map<double, int> freq;
  for (double r : draws) ++freq[std::round(r * 1e9) / 1e9];
  ASSERT_EQ(freq.size(), 3u);  // only -1, 0, +1 are possible
  EXPECT_NEAR(freq[-1.0] / double(R), 0.25, 0.015);
  EXPECT_NEAR(freq[0.0] / double(R), 0.50, 0.015);
  EXPECT_NEAR(freq[1.0] / double(R), 0.25, 0.015);
  const Interval iv = clustered_pearson(kX, kY, 4000, 3);
  EXPECT_DOUBLE_EQ(iv.estimate, 0.0);
  EXPECT_DOUBLE_EQ(iv.lo, -1.0);  // the 2.5% and 97.5% points of {-1: 1/4, 0: 1/2, 1: 1/4}
  EXPECT_DOUBLE_EQ(iv.hi, 1.0);
  EXPECT_EQ(iv.n, 2);
  EXPECT_EQ(iv.unit, "models");
  EXPECT_EQ(iv.resamples, 4000);
}

// Three models with unequal numbers of heads; the pooled mean of the
// resampled models' heads. Every one of the 27 ordered resamples is equally
// likely, so the exact distribution is a list of 27 values (the oracle).
TEST(ClusterBootstrap, PooledStatisticMatchesExhaustiveEnumeration) {
  const std::vector<std::vector<double>> heads = {{1.0}, {0.0, 0.0}, {0.5, 0.7, 0.9}};
  auto pooled_mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  std::vector<double> exact;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 3; ++c) {
        std::vector<double> pool;
        for (int i : {a, b, c}) pool.insert(pool.end(), heads[size_t(i)].begin(), heads[size_t(i)].end());
        exact.push_back(pooled_mean(pool));
      }
  std::sort(exact.begin(), exact.end());
  // By hand for two of the 27: models {0, 0, 0} pool to 1.0; {1, 1, 1} to 0.0.
  EXPECT_DOUBLE_EQ(exact.back(), 1.0);
  EXPECT_DOUBLE_EQ(exact.front(), 0.0);
  const Interval iv = clustered_pooled(heads, pooled_mean, 40000, 11);
  EXPECT_DOUBLE_EQ(iv.estimate, (1.0 + 0 + 0 + 0.5 + 0.7 + 0.9) / 6);
  // Monte Carlo quantiles of 40,000 draws against the exact ones (0.0 and
  // 1.0 at 2.5% and 97.5%: each has probability 1/27 > 2.5%).
  EXPECT_DOUBLE_EQ(iv.lo, sorted_quantile(exact, 0.0));
  EXPECT_DOUBLE_EQ(iv.hi, sorted_quantile(exact, 1.0));
  // The mean of the draws against the exact mean.
  double m = 0;
  for (double x : exact) m += x;
  m /= 27;
  const auto draws = cluster_bootstrap_draws(3, [&](const std::vector<int>& p) {
    std::vector<double> pool;
    for (int i : p) pool.insert(pool.end(), heads[size_t(i)].begin(), heads[size_t(i)].end());
    return pooled_mean(pool);
  }, 40000, 11);
  double dm = 0;
  for (double x : draws) dm += x;
  EXPECT_NEAR(dm / 40000, m, 0.005);
}

TEST(ClusterBootstrap, SameSeedSameIntervalAndResamplingModelsIsWiderThanResamplingPoints) {
  // 20 models, each 5 checkpoints that share the model's offset: points
  // within a model are not independent, so resampling models (the honest
  // unit) must give a wider interval for the mean than resampling points.
  std::vector<std::vector<double>> per_model;
  std::vector<double> flat;
  for (int m = 0; m < 20; ++m) {
    const double off = (m % 4) * 0.3;
    std::vector<double> v;
    for (int k = 0; k < 5; ++k) v.push_back(off + 0.01 * k), flat.push_back(off + 0.01 * k);
    per_model.push_back(v);
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  const Interval a = clustered_pooled(per_model, mean, 3000, 5), b = clustered_pooled(per_model, mean, 3000, 5);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  const Interval points = bootstrap_mean(flat, 3000, 5);
  EXPECT_EQ(points.n, 100);
  EXPECT_EQ(a.n, 20);
  EXPECT_GT(a.width(), 1.8 * points.width());
}

TEST(ClusterBootstrap, MeanDifferenceOfIndependentGroups) {
  const std::vector<double> a = {1, 1, 1, 1}, b = {0, 0, 0};
  const Interval d = bootstrap_mean_difference(a, b, 500, 1);
  EXPECT_DOUBLE_EQ(d.estimate, 1.0);
  EXPECT_DOUBLE_EQ(d.lo, 1.0);
  EXPECT_DOUBLE_EQ(d.hi, 1.0);
  EXPECT_EQ(d.n, 7);
  // Text says the unit and n.
  EXPECT_NE(d.text().find("bootstrap over models, n=7"), std::string::npos) << d.text();
}

}  // namespace stats_test
}  // namespace hc::repro
