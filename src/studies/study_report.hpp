#pragma once
// The report inputs of one head study: the model card, training curve and
// attention examples (report/report.hpp), plus the study's own tables, summary
// and typed results, handed over in memory.
#include <string>

#include "report/report.hpp"
#include "studies/head_study.hpp"

namespace hc {

ReportInputs study_report_inputs(const std::string& title, const std::string& source, const Model<float>& model,
                                 const Task& task, const Dataset& data, const HeadStudy& study,
                                 const std::string& train_log);

}  // namespace hc
