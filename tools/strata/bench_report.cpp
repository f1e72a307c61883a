// `strata bench --report F.html`: one self-contained page (inline CSS and SVG; no scripts,
// fonts or anything fetched) drawn from the JSON document bench.cpp builds. Per model: median
// latency per backend in one panel per batch size (each with its own scale: the comparison
// that matters is between backends at one batch size), throughput, speedup over `reference`,
// the GPU/CPU ratio when `cuda` and `cpu` both ran, training throughput and the kernel profile
// when measured; then every number in one table and the machine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench.h"

namespace strata::cli {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written, for people reading it

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// Three significant figures or so, without exponents.
std::string num(double v) {
  char buf[32];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
  return buf;
}

std::string mib(double bytes) { return num(bytes / (1024.0 * 1024.0)); }

// Backend colours: reference is the grey baseline; the rest take a palette in listed order.
std::map<std::string, std::string> backendColors(const json& doc) {
  static const char* palette[] = {"#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"};
  std::map<std::string, std::string> out;
  size_t i = 0;
  for (const json& b : doc["backends"]) {
    const std::string name = b["name"];
    out[name] = name == "reference" ? "#8b93a1" : palette[i++ % std::size(palette)];
  }
  return out;
}

struct Bar {
  std::string label, color, text;
  double value = 0;
};
struct Group {
  std::string title;
  std::vector<Bar> bars;
};

// Horizontal bars in groups. sharedScale: one axis for every group (else each group scales to
// its own largest bar). refLine: a dashed vertical line at that value (e.g. 1x), shared scale only.
std::string barChart(const std::string& title, const std::string& note, const std::vector<Group>& groups,
                     bool sharedScale, double refLine = NAN) {
  const int width = 570, labelW = 92, textW = 124, barH = 18, gap = 5, groupHead = 22;
  const int plotW = width - labelW - textW;
  int height = 8;
  for (const Group& g : groups) height += groupHead + static_cast<int>(g.bars.size()) * (barH + gap) + 6;
  double globalMax = std::isnan(refLine) ? 0 : refLine;
  for (const Group& g : groups)
    for (const Bar& b : g.bars) globalMax = std::max(globalMax, b.value);

  std::string s = "<figure><figcaption><b>" + esc(title) + "</b><span>" + esc(note) + "</span></figcaption>";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  int y = 8;
  for (const Group& g : groups) {
    double max = sharedScale ? globalMax : 0;
    if (!sharedScale)
      for (const Bar& b : g.bars) max = std::max(max, b.value);
    if (max <= 0) max = 1;
    s += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\" class=\"gh\">" + esc(g.title) + "</text>";
    y += groupHead;
    for (const Bar& b : g.bars) {
      const double w = std::max(1.0, plotW * b.value / max);
      s += "<text x=\"" + std::to_string(labelW - 6) + "\" y=\"" + std::to_string(y + 13) +
           "\" text-anchor=\"end\" class=\"bl\">" + esc(b.label) + "</text>";
      s += "<rect x=\"" + std::to_string(labelW) + "\" y=\"" + std::to_string(y) + "\" width=\"" + num(w) +
           "\" height=\"" + std::to_string(barH) + "\" rx=\"3\" fill=\"" + b.color + "\"><title>" + esc(b.label) + ": " +
           esc(b.text) + "</title></rect>";
      s += "<text x=\"" + num(labelW + w + 5) + "\" y=\"" + std::to_string(y + 13) + "\" class=\"bv\">" + esc(b.text) +
           "</text>";
      y += barH + gap;
    }
    y += 6;
  }
  if (sharedScale && !std::isnan(refLine) && globalMax > 0) {
    const double x = labelW + plotW * refLine / globalMax;
    s += "<line x1=\"" + num(x) + "\" y1=\"4\" x2=\"" + num(x) + "\" y2=\"" + std::to_string(height - 4) +
         "\" stroke=\"#111\" stroke-dasharray=\"4 3\" stroke-width=\"1\"/>";
  }
  return s + "</svg></figure>";
}

std::vector<int> batchesOf(const json& doc) { return doc["settings"]["batches"].get<std::vector<int>>(); }

std::vector<const json*> rowsFor(const json& doc, const std::string& model, int batch) {
  std::vector<const json*> out;
  for (const json& r : doc["results"])
    if (r["model"] == model && r["batch"] == batch) out.push_back(&r);
  return out;
}

// One chart: for each batch a group of bars, one per result row that `pick` gives a value for.
template <class Pick>
std::vector<Group> groupsBy(const json& doc, const std::string& model, const std::map<std::string, std::string>& colors,
                            Pick pick) {
  std::vector<Group> groups;
  for (int b : batchesOf(doc)) {
    Group g{"batch " + std::to_string(b), {}};
    for (const json* r : rowsFor(doc, model, b)) {
      const std::string backend = (*r)["backend"];
      if (auto bar = pick(*r)) {
        bar->label = backend;
        bar->color = colors.at(backend);
        g.bars.push_back(*bar);
      }
    }
    if (!g.bars.empty()) groups.push_back(std::move(g));
  }
  return groups;
}

// One sentence per model: the lowest latency at the smallest batch and the highest throughput.
std::string headline(const json& doc, const std::string& model) {
  const json *fast = nullptr, *wide = nullptr;
  const int smallest = batchesOf(doc).front();
  for (const json& r : doc["results"]) {
    if (r["model"] != model) continue;
    if (r["batch"] == smallest && (!fast || r["predict"]["medianMs"] < (*fast)["predict"]["medianMs"])) fast = &r;
    if (!wide || r["predict"]["samplesPerSec"] > (*wide)["predict"]["samplesPerSec"]) wide = &r;
  }
  if (!fast) return "";
  auto vsRef = [](const json& r) {
    return r.contains("speedupVsReference") && r["backend"] != "reference"
               ? " (" + num(r["speedupVsReference"]) + "× reference)"
               : std::string();
  };
  return "<p class=\"headline\">Lowest latency at batch " + std::to_string(smallest) + ": <b>" +
         esc((*fast)["backend"].get<std::string>()) + "</b> " + num((*fast)["predict"]["medianMs"]) + " ms" +
         vsRef(*fast) + " · highest throughput: <b>" + esc((*wide)["backend"].get<std::string>()) + "</b> " +
         num((*wide)["predict"]["samplesPerSec"]) + " samples/s at batch " + std::to_string((*wide)["batch"].get<int>()) +
         vsRef(*wide) + "</p>";
}

std::string modelSection(const json& doc, const json& model, const std::map<std::string, std::string>& colors) {
  const std::string name = model["name"];
  std::string inShape;
  for (const json& in : model["inputs"]) inShape += (inShape.empty() ? "" : ", ") + in["shape"].dump();
  std::string s = "<section><h2>" + esc(name) + "</h2><p class=\"sub\">" + esc(model["source"].get<std::string>()) +
                  " · " + num(model["params"].get<double>() / 1e6) + " M parameters · input " + esc(inShape) +
                  "</p>" + headline(doc, name) + "<div class=\"charts\">";
  using Opt = std::optional<Bar>;
  s += barChart("Latency", "median ms per predict call · lower is better",
                groupsBy(doc, name, colors,
                         [](const json& r) -> Opt {
                           const double v = r["predict"]["medianMs"];
                           return Bar{"", "", num(v) + " ms", v};
                         }),
                false);
  s += barChart("Throughput", "samples/s at the median latency · higher is better",
                groupsBy(doc, name, colors,
                         [](const json& r) -> Opt {
                           const double v = r["predict"]["samplesPerSec"];
                           return Bar{"", "", num(v) + "/s", v};
                         }),
                true);
  auto speedups = groupsBy(doc, name, colors, [](const json& r) -> Opt {
    if (!r.contains("speedupVsReference") || r["backend"] == "reference") return std::nullopt;
    const double v = r["speedupVsReference"];
    return Bar{"", "", num(v) + "×", v};
  });
  if (!speedups.empty())
    s += barChart("Speedup over reference", "reference median / backend median · dashed line: 1×", speedups, true, 1.0);
  auto gpu = groupsBy(doc, name, colors, [](const json& r) -> Opt {
    if (!r.contains("speedupGpuOverCpu")) return std::nullopt;
    const double v = r["speedupGpuOverCpu"];
    return Bar{"", "", num(v) + "×", v};
  });
  if (!gpu.empty()) s += barChart("GPU over CPU", "cpu median / cuda median · dashed line: 1×", gpu, true, 1.0);
  auto train = groupsBy(doc, name, colors, [](const json& r) -> Opt {
    if (!r.contains("train") || !r["train"].contains("samplesPerSec")) return std::nullopt;
    const double v = r["train"]["samplesPerSec"];
    return Bar{"", "", num(v) + "/s", v};
  });
  if (!train.empty())
    s += barChart("Training", "samples/s of one trainOnBatch step (Adam, categoricalCrossentropy) · higher is better",
                  train, true);
  auto prof = groupsBy(doc, name, colors, [](const json& r) -> Opt {
    if (!r.contains("profile")) return std::nullopt;
    const json& p = r["profile"];
    const double v = p["convMatmulGflopPerSec"];
    return Bar{"", "", num(v) + " GFLOP/s · " + std::to_string(std::lround(100 * p["convMatmulShareOfWall"].get<double>())) + "%", v};
  });
  if (!prof.empty())
    s += barChart("Convolution + matmul kernels", "achieved GFLOP/s · their share of predict's wall time", prof, true);
  return s + "</div></section>";
}

std::string resultsTable(const json& doc) {
  const bool train = doc["settings"]["train"];
  std::string s =
      "<table><thead><tr><th>model</th><th>backend</th><th>batch</th><th>min ms</th><th>median ms</th>"
      "<th>samples/s</th><th>vs reference</th><th>model memory MiB</th><th>peak RSS MiB</th>";
  if (train) s += "<th>train median ms</th><th>train samples/s</th>";
  s += "</tr></thead><tbody>";
  for (const json& r : doc["results"]) {
    const json& p = r["predict"];
    s += "<tr><td>" + esc(r["model"].get<std::string>()) + "</td><td>" + esc(r["backend"].get<std::string>()) +
         "</td><td>" + std::to_string(r["batch"].get<int>()) + "</td><td>" + num(p["minMs"]) + "</td><td>" +
         num(p["medianMs"]) + "</td><td>" + num(p["samplesPerSec"]) + "</td><td>" +
         (r.contains("speedupVsReference") ? num(r["speedupVsReference"]) + "×" : "–") + "</td><td>" +
         mib(r["memory"]["modelPeakBytes"]) + "</td><td>" + mib(r["memory"]["peakRssBytes"]) + "</td>";
    if (train) {
      if (r.contains("train") && r["train"].contains("medianMs"))
        s += "<td>" + num(r["train"]["medianMs"]) + "</td><td>" + num(r["train"]["samplesPerSec"]) + "</td>";
      else
        s += "<td colspan=\"2\">" + esc(r.contains("train") ? r["train"].value("skipped", "–") : "–") + "</td>";
    }
    s += "</tr>";
  }
  return s + "</tbody></table>";
}

std::string machineTable(const json& doc) {
  const json& m = doc["machine"];
  std::string backends;
  for (const json& b : doc["backends"])
    backends += "<li><b>" + esc(b["name"].get<std::string>()) + "</b> " + esc(b["description"].get<std::string>()) + "</li>";
  const json& st = doc["settings"];
  std::string batches;
  for (const json& b : st["batches"]) batches += (batches.empty() ? "" : ", ") + b.dump();
  std::string s = "<table class=\"kv\"><tbody>";
  auto row = [&](const std::string& k, const std::string& v) { s += "<tr><th>" + k + "</th><td>" + v + "</td></tr>"; };
  row("CPU", esc(m["cpu"].get<std::string>()) + " · " + m["cores"].dump() + " cores");
  row("system", esc(m["os"].get<std::string>()) + " · " + mib(m["memoryBytes"]) + " MiB memory");
  if (m.contains("STRATA_NUM_THREADS")) row("STRATA_NUM_THREADS", esc(m["STRATA_NUM_THREADS"].get<std::string>()));
  row("backends", "<ul>" + backends + "</ul>");
  row("runs", std::to_string(st["warmup"].get<int>()) + " warm-up, " + std::to_string(st["runs"].get<int>()) +
                  " timed per case; batches " + batches + "; seed " + st["seed"].dump());
  for (const json& n : doc["notes"]) row("note", esc(n.get<std::string>()));
  return s + "</tbody></table>";
}

const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 2px}
.sub{color:#6b7280;margin:0 0 12px}.headline{font-size:15px;margin:0 0 12px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 14px;margin:0}
figcaption b{display:block;font-size:15px}figcaption span{display:block;color:#6b7280;font-size:12px;margin-bottom:6px}
svg text{font:12px system-ui,sans-serif;fill:#374151}svg .gh{font-weight:600;fill:#111827}svg .bv{fill:#111827}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #e5e7eb;padding:4px 9px;text-align:right}th{background:#f3f4f6}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
.kv th,.kv td{text-align:left}.kv ul{margin:0;padding-left:18px}
footer{color:#9ca3af;font-size:12px;margin-top:24px}
)";

}  // namespace

std::string benchReportHtml(const json& doc) {
  const auto colors = backendColors(doc);
  const json& m = doc["machine"];
  std::string legend;
  for (const json& b : doc["backends"])
    legend += "<span><i style=\"background:" + colors.at(b["name"]) + "\"></i>" + esc(b["name"].get<std::string>()) + "</span>";
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width,initial-scale=1\"><title>strata bench · " +
                  esc(doc["date"].get<std::string>()) + "</title><style>" + kStyle + "</style></head><body><main>";
  s += "<h1>strata bench</h1><p class=\"sub\">Strata " + esc(doc["version"].get<std::string>()) + " · " +
       esc(m["cpu"].get<std::string>()) + " · " + m["cores"].dump() + " cores · " + esc(doc["date"].get<std::string>()) +
       "</p><p class=\"legend\">" + legend + "</p>";
  for (const json& model : doc["models"]) s += modelSection(doc, model, colors);
  s += "<h2>All results</h2>" + resultsTable(doc) + "<h2>Machine and settings</h2>" + machineTable(doc);
  s += "<footer>Each timed run is one predict call ending with a read of its outputs. Model memory is the "
       "model's weights plus the high-water mark of strata::memory().numBytes above what was held before the "
       "case; peak RSS is the process's VmHWM" +
       std::string(doc["results"].empty() || doc["results"][0]["memory"]["rssPeakIsPerCase"].get<bool>()
                       ? ", reset before each case"
                       : " since start (it could not be reset per case)") +
       ". Written by strata bench --report.</footer></main></body></html>\n";
  return s;
}

}  // namespace strata::cli
