// rank's options and its inputs: BASE and QUANTs compared in one pass,
// token files (compare --save-tokens), printed reports (--logs) or
// partial states (--states), each made into one RankEntry per quant.
#ifndef KLDKIT_TOOLS_RANK_INPUTS_H_
#define KLDKIT_TOOLS_RANK_INPUTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/measures.hpp"
#include "tools/common_options.h"
#include "tools/rank_confidence.h"
#include "tools/rank_table.h"

namespace kldkit {
namespace cli {

struct RankOptions {
  std::string base;
  std::vector<std::string> quants;
  std::vector<std::string> logs;  // --logs: printed reports instead
  std::vector<std::string> states;  // --states: partial states instead
  std::vector<std::string> sizes;
  std::vector<std::string> names;
  std::string sort = "mean-kld";
  std::string kld = "mean";
  std::string svg;
  std::string format = "text";
  bool json = false;  // --json: --format json
  std::string mode = "llamacpp";
  std::string percentiles = "exact";
  size_t threads = 1;
  std::string tokens;
  uint32_t ctx = 0;
  bool force = false;
  bool quiet = false;
  uint32_t resamples = 1000;
  uint64_t seed = 1;
  std::string plot_x = "size";
  MeasureChoice measures;
  ShardChoice shard;
};

// The mean measures --sort or --kld name, added to the ones computed.
MeasureMask RankedMeasures(const RankOptions& o);

// Whether the positional files are token files (compare --save-tokens):
// then every one is, and there is no base.
bool RanksTokenFiles(const RankOptions& o);

// The ranked inputs: the QUANTs, the --logs, or the token files (--states:
// their models, known once read).
std::vector<std::string> Inputs(const RankOptions& o);

// The entries of whichever inputs rank was given, in input order, named
// when the input names them (a token file's model); per-token samples
// where they exist (BASE and QUANTs, token files). --states sets *inputs
// to the states' models.
std::vector<RankEntry> Entries(const RankOptions& o,
                               std::vector<std::string>* inputs,
                               RankSamples* samples);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_RANK_INPUTS_H_
