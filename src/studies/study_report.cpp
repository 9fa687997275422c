#include "studies/study_report.hpp"

namespace hc {

ReportInputs study_report_inputs(const std::string& title, const std::string& source, const Model<float>& model,
                                 const Task& task, const Dataset& data, const HeadStudy& study,
                                 const std::string& train_log) {
  ReportInputs in = model_report_inputs(title, source, model, task, data, study.summary, train_log);
  in.tables = study.tables;
  for (const auto& r : study.results) in.results.push_back({r.analysis->name, r.result});
  return in;
}

}  // namespace hc
