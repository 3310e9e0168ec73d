// The rank table as people paste it: CSV (spreadsheets, scripts) and
// markdown (model cards), from one list of columns; the aligned text table
// and the JSON stay in rank_table.cc.
#ifndef KLDKIT_TOOLS_RANK_FORMATS_H_
#define KLDKIT_TOOLS_RANK_FORMATS_H_

#include <string>
#include <vector>

#include "tools/rank_table.h"

namespace kldkit {
namespace cli {

// --format's values, in --help order: text, json, csv, markdown.
const std::vector<std::string>& RankFormats();

// RFC 4180: a header row of snake_case keys (the JSON's), then one row per
// quant in rank order; full precision, an empty cell for an unknown value
// (size, efficiency, a measure not computed), sizes in whole bytes.
// `measure`: a mean measure's name to add as a column, or "".
std::string RenderRankCsv(const std::vector<RankEntry>& entries,
                          const std::string& measure);
// A GitHub-flavoured markdown table, numbers as in the text table.
std::string RenderRankMarkdown(const std::vector<RankEntry>& entries,
                               const std::string& measure);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_RANK_FORMATS_H_
