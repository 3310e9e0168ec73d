// The engine's fast read paths give the copying dense path's bits: a .kldz
// base read as sparse rows and .npy / llama.cpp files read in place from
// their mapping (or copied, as KLDKIT_READ says), against the same files
// read by copies into dense rows
// (a wrapper source that offers neither), in llama.cpp and tail mode, on
// the llama.cpp fixture and on generated 248,320-entry rows; and a model
// file that shrinks during a run fails it with TRUNCATED, not a crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/evaluate.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/synth.hpp"
#include "tests/fixtures.h"
#include "tests/scoped_env.h"
#include "tests/temp_files.h"
#include "tests/vocab_cap.h"

namespace kldkit {
namespace {

using ::kldkit::testing::ScopedEnv;
using ::kldkit::testing::TempPath;

// A source read only by copies into dense rows: no sparse rows, no mapping.
class CopyingSource : public RowSource {
 public:
  explicit CopyingSource(const std::string& path)
      : inner_(OpenRowSource(path, 2)) {}
  std::string Path() const override { return inner_->Path(); }
  size_t NVocab() const override { return inner_->NVocab(); }
  uint64_t Rows() const override { return inner_->Rows(); }
  bool IsFloat() const override { return inner_->IsFloat(); }
  const TokenLayout* StoredLayout() const override {
    return inner_->StoredLayout();
  }
  KeepProfile Keep() const override { return inner_->Keep(); }
  RowFloor ScanFloor(uint64_t max_rows) const override {
    return inner_->ScanFloor(max_rows);
  }
  void ReadF32(uint64_t first, size_t count, float* out) override {
    inner_->ReadF32(first, count, out);
  }
  void ReadU16(uint64_t first, size_t count, uint16_t* out) override {
    inner_->ReadU16(first, count, out);
  }

 private:
  std::unique_ptr<RowSource> inner_;
};

struct Run {
  std::vector<uint8_t> state;
  std::vector<TokenResult> tokens;
};

Run Evaluate(RowSource& base, RowSource& model, CompareMode mode) {
  Run run;
  EvaluateOptions o;
  o.mode = mode;
  o.threads = 2;
  o.batch_bytes = 8 << 20;  // several batches
  o.on_tokens = [&](size_t, uint64_t first, gsl::span<const TokenResult> r,
                    gsl::span<const int32_t>, const TokenLayout&) {
    if (run.tokens.size() < first + r.size()) run.tokens.resize(first + r.size());
    std::copy(r.begin(), r.end(), run.tokens.begin() + first);
  };
  run.state = kldkit::Evaluate(base, {&model}, o).accumulators[0].Serialize();
  return run;
}

// A source's fast paths against its copies, in one mode.
void ExpectFastPathAsCopies(const std::string& base, const std::string& model,
                            CompareMode mode) {
  CopyingSource copy_base(base), copy_model(model);
  const Run want = Evaluate(copy_base, copy_model, mode);
  std::unique_ptr<RowSource> fast_base = OpenRowSource(base, 2);
  std::unique_ptr<RowSource> fast_model = OpenRowSource(model, 2);
  const Run got = Evaluate(*fast_base, *fast_model, mode);
  ASSERT_EQ(got.tokens.size(), want.tokens.size());
  for (size_t i = 0; i < want.tokens.size(); ++i) {
    ASSERT_EQ(got.tokens[i].kld, want.tokens[i].kld) << "row " << i;
    ASSERT_EQ(got.tokens[i].nll, want.tokens[i].nll) << "row " << i;
    ASSERT_EQ(got.tokens[i].top_base, want.tokens[i].top_base) << "row " << i;
    ASSERT_EQ(got.tokens[i].flags, want.tokens[i].flags) << "row " << i;
  }
  EXPECT_EQ(got.state, want.state);
}

// Every fast path against the copies, both modes, files mapped or copied
// (KLDKIT_READ; the default measures which is cheaper here).
void ExpectFastPathsAsCopies(const std::string& base, const std::string& model) {
  for (const char* read : {"map", "copy"}) {
    ScopedEnv env("KLDKIT_READ", read);
    for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
      SCOPED_TRACE(std::string(read) +
                   (mode == CompareMode::kTail ? " tail" : " llama.cpp"));
      ExpectFastPathAsCopies(base, model, mode);
    }
  }
}

TEST(ReadPaths, FixtureKldzAndLlamaBasesAsCopies) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(stored, "v32k-c128x4-q8_0.logits");
  const std::string kldz = TempPath("read_paths", "fixture.kldz");
  ContainerOptions options;
  options.rows_per_block = 7;
  ImportLlamaFile(base, kldz, options);
  ExpectFastPathsAsCopies(kldz, npy);  // sparse base, mapped model
  ExpectFastPathsAsCopies(base, npy);  // mapped base and model
  // A stored model keeps the dense base (the sparse kernel takes floats).
  ExpectFastPathsAsCopies(kldz, stored);
  std::remove(kldz.c_str());
}

TEST(ReadPaths, GeneratedLargeRowsAsCopies) {
  const size_t n = ::kldkit::testing::CappedVocab(248320);
  const uint32_t n_ctx = 16;  // 7 rows a chunk
  const uint32_t n_chunk = 3;
  TokenLayout layout;
  layout.n_ctx = n_ctx;
  layout.n_chunk = n_chunk;
  const LogitGenerator gen(GeneratorOptions{n, 11, 1.0f});
  for (size_t i = 0; i < size_t{n_ctx} * n_chunk; ++i) {
    layout.tokens.push_back(static_cast<int32_t>((i * 7919) % n));
  }
  const std::string kldz = TempPath("read_paths", "large.kldz");
  const std::string npy = TempPath("read_paths", "large.npy");
  {
    ContainerOptions options;
    options.rows_per_block = 4;
    ContainerInfo info;
    info.header.n_ctx = n_ctx;
    info.header.n_vocab = static_cast<int32_t>(n);
    info.header.n_chunk = n_chunk;
    info.tokens = layout.tokens;
    ContainerWriter base(kldz, info, options);
    NpyF32Writer model(npy, layout.Rows(), n);
    std::vector<float> x(n), q(n);
    std::vector<uint16_t> row(LlamaRowWords(n));
    for (uint64_t r = 0; r < layout.Rows(); ++r) {
      gen.BaseRow(r, x);
      QuantizeRow(RowView::F32(x), row);
      base.AppendRow(row);
      gen.ModelRow(r, 0.02, 1, q);
      model.AppendRow(q);
    }
    base.Close();
    model.Close();
  }
  ExpectFastPathsAsCopies(kldz, npy);
  std::remove(kldz.c_str());
  std::remove(npy.c_str());
}

// Mapped, the lost pages read as zeros and the run is failed after the
// compare; copied, the short read fails it.
TEST(ReadPaths, AModelFileThatShrinksFailsTheRun) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  for (const char* read : {"map", "copy"}) {
    SCOPED_TRACE(read);
    ScopedEnv env("KLDKIT_READ", read);
    const std::string copy = TempPath("read_paths", "shrinks.npy");
    ::kldkit::testing::WriteFileBytes(copy,
                                      ::kldkit::testing::ReadFileBytes(npy));
    EvaluateOptions o;
    o.batch_bytes = 1;  // a row per batch
    bool cut = false;
    o.on_progress = [&](uint64_t done, uint64_t) {
      if (done == 10 && !cut) {
        cut = true;
        EXPECT_EQ(truncate(copy.c_str(), 4096), 0);  // rows 11.. are gone
      }
      return false;
    };
    try {
      EvaluateFiles(base, {copy}, o);
      ADD_FAILURE() << "the run went on";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_TRUNCATED) << e.what();
      EXPECT_NE(std::string(e.what()).find("shrinks.npy"), std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(cut);
    std::remove(copy.c_str());
  }
}

// An unknown KLDKIT_READ fails opening a file, naming the value.
TEST(ReadPaths, AnUnknownReadPathIsRefused) {
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  ScopedEnv env("KLDKIT_READ", "mmap");
  try {
    OpenRowSource(npy, 1);
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT) << e.what();
    EXPECT_NE(std::string(e.what()).find("KLDKIT_READ=mmap"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kldkit
