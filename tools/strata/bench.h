// Shared between bench.cpp (measuring, table, JSON) and bench_report.cpp (the HTML page).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace strata::cli {

/// One self-contained HTML page (inline CSS and SVG, nothing fetched) drawn from the JSON
/// document `strata bench --json` writes: machine, charts per model, the results table.
std::string benchReportHtml(const nlohmann::ordered_json& doc);

}  // namespace strata::cli
