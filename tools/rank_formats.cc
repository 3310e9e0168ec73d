#include "tools/rank_formats.h"

#include <cmath>
#include <cstdio>
#include <functional>

#include "tools/cli_common.h"

namespace kldkit {
namespace cli {
namespace {

// One column: its markdown head, its CSV key, the value (NaN: unknown) and
// how markdown prints it.
struct Column {
  std::string head, key;
  std::function<double(const RankEntry&)> value;
  enum Style { kFixed6, kPercent3, kFixed4, kFixed2, kBytes, kSigned6, kFixed3, kCount } style;
};

bool AnyPair(const std::vector<RankEntry>& entries) {
  for (const RankEntry& e : entries) {
    if (e.next) return true;
  }
  return false;
}

// The paired comparison with the next quant, on the row of the better one.
void AddPairColumns(std::vector<Column>* c) {
  using Field = double (*)(const PairedDifference&);
  const auto column = [](const char* head, const char* key, Field f,
                         Column::Style style) {
    return Column{head, key,
                  [f](const RankEntry& e) { return e.next ? f(*e.next) : NAN; },
                  style};
  };
  c->push_back(column("vs next", "diff_to_next",
                      [](const PairedDifference& p) { return p.difference; },
                      Column::kSigned6));
  c->push_back(column("low", "diff_low",
                      [](const PairedDifference& p) { return p.low; },
                      Column::kSigned6));
  c->push_back(column("high", "diff_high",
                      [](const PairedDifference& p) { return p.high; },
                      Column::kSigned6));
  c->push_back(column("P(order)", "p_order",
                      [](const PairedDifference& p) { return p.p_order; },
                      Column::kFixed3));
  c->push_back(column(
      "chunks to separate", "chunks_to_separate",
      [](const PairedDifference& p) { return p.chunks_to_separate; },
      Column::kCount));
}

std::vector<Column> Columns(const std::vector<RankEntry>& entries,
                            const std::string& measure) {
  std::vector<Column> c = {
      {"size", "size_bytes",
       [](const RankEntry& e) { return e.size > 0 ? e.size : NAN; },
       Column::kBytes}};
  if (AnyBitsPerWeight(entries)) {
    c.push_back({"bpw", "bits_per_weight",
                 [](const RankEntry& e) { return e.bits_per_weight; },
                 Column::kFixed2});
  }
  const std::vector<Column> rest = {
      {"mean KLD", "mean_kld",
       [](const RankEntry& e) { return e.report.kld.value; }, Column::kFixed6},
      {"99.9% KLD", "p99_9_kld",
       [](const RankEntry& e) { return e.report.kld_percentiles[0]; },
       Column::kFixed6},
      {"PPL ratio", "ppl_ratio",
       [](const RankEntry& e) { return e.report.ppl_ratio.value; },
       Column::kFixed6},
      {"same top", "same_top",
       [](const RankEntry& e) { return e.report.same_top.value; },
       Column::kPercent3},
      {"efficiency", "efficiency",
       [](const RankEntry& e) { return e.efficiency; }, Column::kFixed4}};
  c.insert(c.end(), rest.begin(), rest.end());
  if (!measure.empty()) {
    c.push_back({measure, measure,
                 [measure](const RankEntry& e) { return KldOf(e, measure); },
                 Column::kFixed6});
  }
  if (AnyPair(entries)) AddPairColumns(&c);
  return c;
}

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string MarkdownCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

std::string MarkdownValue(const Column& c, double v) {
  if (std::isnan(v)) return "-";
  switch (c.style) {
    case Column::kBytes: return HumanBytes(v);
    case Column::kPercent3: return Printf("%.3f%%", 100.0 * v);
    case Column::kFixed4: return Printf("%.4f", v);
    case Column::kFixed2: return Printf("%.2f", v);
    case Column::kSigned6: return Printf("%+.6f", v);
    case Column::kFixed3: return Printf("%.3f", v);
    case Column::kCount:
      return std::isfinite(v) ? Printf("%.0f", v) : std::string("never");
    case Column::kFixed6: break;
  }
  return Printf("%.6f", v);
}

}  // namespace

const std::vector<std::string>& RankFormats() {
  static const std::vector<std::string> kFormats = {"text", "json", "csv",
                                                    "markdown"};
  return kFormats;
}

std::string RenderRankCsv(const std::vector<RankEntry>& entries,
                          const std::string& measure) {
  const std::vector<Column> columns = Columns(entries, measure);
  std::string out = "rank,quant";
  for (const Column& c : columns) out += "," + CsvCell(c.key);
  out += "\r\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += std::to_string(i + 1) + "," + CsvCell(entries[i].name);
    for (const Column& c : columns) {
      const double v = c.value(entries[i]);
      const char* fmt = c.style == Column::kBytes || c.style == Column::kCount
                            ? "%.0f"
                            : "%.9g";
      out += "," + (std::isfinite(v) ? Printf(fmt, v) : std::string());
    }
    out += "\r\n";
  }
  return out;
}

std::string RenderRankMarkdown(const std::vector<RankEntry>& entries,
                               const std::string& measure) {
  const std::vector<Column> columns = Columns(entries, measure);
  std::string head = "| rank | quant |", rule = "| ---: | :--- |";
  for (const Column& c : columns) {
    head += " " + MarkdownCell(c.head) + " |";
    rule += " ---: |";
  }
  std::string out = head + "\n" + rule + "\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += "| " + std::to_string(i + 1) + " | " +
           MarkdownCell(entries[i].name) + " |";
    for (const Column& c : columns) {
      out += " " + MarkdownValue(c, c.value(entries[i])) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace cli
}  // namespace kldkit
