// One engine, three front ends: the CLI's JSON report and the C API's
// kldkit_compare_files (rendered with kldkit_render_json) are byte-identical
// on the fixtures, on 1 and 2 threads, for a llama.cpp and a .kldz base,
// a float and a stored model, and a float base. (Python's compare_files
// is held to the CLI in python/tests.) The C call's other ends: per-chunk
// lines equal the CLI's --chunks, per-token results reach the callback,
// and a cancelled call leaves the accumulators as they were.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "kldkit.h"
#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

std::string Text(kldkit_status (*render)(char*, size_t, size_t*,
                                         const kldkit_report*),
                 const kldkit_report& report) {
  size_t size = 0;
  EXPECT_EQ(render(nullptr, 0, &size, &report), KLDKIT_OK);
  std::string out(size, '\0');
  EXPECT_EQ(render(&out[0], size, &size, &report), KLDKIT_OK);
  out.resize(size - 1);
  return out;
}

// The JSON report of kldkit_compare_files(base, {model}).
std::string CJson(const std::string& base, const std::string& model,
                  uint32_t threads, kldkit_compare_files_options o =
                                        KLDKIT_COMPARE_FILES_OPTIONS_INIT) {
  kldkit_accumulator* acc = nullptr;
  EXPECT_EQ(kldkit_accumulator_create(&acc, nullptr), KLDKIT_OK);
  o.threads = threads;
  const char* models[] = {model.c_str()};
  EXPECT_EQ(kldkit_compare_files(&acc, base.c_str(), models, 1, &o), KLDKIT_OK)
      << kldkit_last_error();
  kldkit_report report = KLDKIT_REPORT_INIT;
  EXPECT_EQ(kldkit_accumulator_report(&report, acc, 1), KLDKIT_OK);
  kldkit_accumulator_free(acc);
  return Text(kldkit_render_json, report);
}

class CliParity : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  void ExpectSame(const std::string& base, const std::string& model) {
    for (const char* threads : {"1", "2"}) {
      const CliResult cli =
          Run({"compare", base, model, "--json", "-q", "-t", threads});
      ASSERT_EQ(cli.status, 0) << cli.err;
      EXPECT_EQ(cli.out, CJson(base, model, threads[0] - '0'))
          << base << " vs " << model << " -t " << threads;
    }
  }
  TempFolder dir_;
};

TEST_F(CliParity, JsonReportsAreByteIdentical) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  ASSERT_EQ(Run({"convert", base, "base.kldz", "-q"}).status, 0);
  for (const std::string& b : {base, dir_.File("base.kldz")}) {
    ExpectSame(b, npy);
    ExpectSame(b, quant);
  }
  ExpectSame(npy, base);  // float base, quantized as llama.cpp stores it
  // A chunk range: the C option and --chunk-range.
  kldkit_compare_files_options o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.chunk_begin = 1;
  o.chunk_end = 3;
  const CliResult cli = Run({"compare", base, quant, "--json", "-q",
                             "--chunk-range", "1:3"});
  ASSERT_EQ(cli.status, 0) << cli.err;
  EXPECT_EQ(cli.out, CJson(base, quant, 1, o));
  EXPECT_NE(cli.out, CJson(base, quant, 1));
}

struct Seen {
  std::string chunk_lines;
  uint64_t tokens = 0;
  std::vector<std::string> warnings;
};

TEST_F(CliParity, CallbacksGiveTheChunkLinesTokensAndWarnings) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  Seen seen;
  kldkit_compare_files_options o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.on_chunk = [](void* user, int chunk, const kldkit_report* running,
                  size_t n) {
    ASSERT_EQ(n, 1u);
    size_t size = 0;
    kldkit_render_chunk_line(nullptr, 0, &size, chunk, running);
    std::string line(size, '\0');
    kldkit_render_chunk_line(&line[0], size, &size, chunk, running);
    static_cast<Seen*>(user)->chunk_lines += line.substr(0, size - 1);
  };
  o.chunk_user_data = &seen;
  o.on_tokens = [](void* user, size_t model, uint64_t first,
                   const kldkit_token_result* results, const int32_t* targets,
                   size_t n) {
    EXPECT_EQ(model, 0u);
    EXPECT_EQ(first, static_cast<Seen*>(user)->tokens);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_GE(results[i].kld, -1e-6);
      EXPECT_GE(targets[i], 0);
    }
    static_cast<Seen*>(user)->tokens += n;
  };
  o.tokens_user_data = &seen;
  o.on_warning = [](void* user, const char* message) {
    static_cast<Seen*>(user)->warnings.push_back(message);
  };
  o.warning_user_data = &seen;
  CJson(npy, base, 2, o);  // a float base: one warning
  EXPECT_EQ(seen.tokens, 252u);
  ASSERT_EQ(seen.warnings.size(), 1u);
  EXPECT_NE(seen.warnings[0].find("quantized"), std::string::npos);
  const CliResult cli = Run({"compare", npy, base, "--chunks", "-q"});
  ASSERT_EQ(cli.status, 0) << cli.err;
  size_t size = 0;
  kldkit_render_chunk_header(nullptr, 0, &size);
  std::string header(size, '\0');
  kldkit_render_chunk_header(&header[0], size, &size);
  header.resize(size - 1);
  EXPECT_EQ(cli.out.substr(0, header.size() + seen.chunk_lines.size()),
            header + seen.chunk_lines);
}

// save_tokens: the token file compare --save-tokens writes, byte for byte,
// for the models named; nothing when the call fails.
TEST_F(CliParity, SavedTokensAreTheClis) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  const std::string cli = dir_.File("cli.kldt"), c = dir_.File("c.kldt");
  ASSERT_EQ(Run({"compare", base, npy, "-q", "--save-tokens", cli}).status, 0);
  kldkit_accumulator* accs[2] = {nullptr, nullptr};
  for (kldkit_accumulator*& a : accs) {
    ASSERT_EQ(kldkit_accumulator_create(&a, nullptr), KLDKIT_OK);
  }
  const char* models[] = {npy.c_str(), quant.c_str()};
  const char* save[] = {c.c_str(), nullptr};
  kldkit_compare_files_options o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.save_tokens = save;
  o.threads = 2;
  ASSERT_EQ(kldkit_compare_files(accs, base.c_str(), models, 2, &o),
            KLDKIT_OK) << kldkit_last_error();
  EXPECT_TRUE(testing::SameBytes(cli, c));
  // A failing call (a missing second model) writes no file.
  const std::string failed = dir_.File("failed.kldt");
  const char* bad[] = {npy.c_str(), "/nonexistent/model.npy"};
  save[0] = failed.c_str();
  EXPECT_EQ(kldkit_compare_files(accs, base.c_str(), bad, 2, &o),
            KLDKIT_ERROR_IO);
  EXPECT_FALSE(std::ifstream(failed).good());
  for (kldkit_accumulator* a : accs) kldkit_accumulator_free(a);
}

TEST(CompareFiles, BadArgumentsAndCancelChangeNothing) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  kldkit_accumulator* a = nullptr;
  kldkit_accumulator* b = nullptr;
  ASSERT_EQ(kldkit_accumulator_create(&a, nullptr), KLDKIT_OK);
  kldkit_accumulator_options sketch = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  sketch.percentile_mode = KLDKIT_PERCENTILES_SKETCH;
  ASSERT_EQ(kldkit_accumulator_create(&b, &sketch), KLDKIT_OK);
  const char* one[] = {npy.c_str()};
  const char* two[] = {npy.c_str(), npy.c_str()};
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  kldkit_accumulator* same[] = {a, a};
  kldkit_accumulator* mixed[] = {a, b};
  kldkit_accumulator* null_acc[] = {nullptr};
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), one, 0, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(nullptr, base.c_str(), one, 1, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(null_acc, base.c_str(), one, 1, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(&a, nullptr, one, 1, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), nullptr, 1, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(same, base.c_str(), two, 2, nullptr), inv);
  EXPECT_EQ(kldkit_compare_files(mixed, base.c_str(), two, 2, nullptr), inv);
  EXPECT_NE(std::string(kldkit_last_error()).find("different options"),
            std::string::npos);
  kldkit_compare_files_options o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.threads = 0;
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), one, 1, &o), inv);
  o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.mode = 7;
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), one, 1, &o), inv);
  o.struct_size = 1;
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), one, 1, &o), inv);
  const char* missing[] = {"/nonexistent/model.npy"};
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), missing, 1, nullptr),
            KLDKIT_ERROR_IO);
  EXPECT_NE(std::string(kldkit_last_error()).find("/nonexistent/model.npy"),
            std::string::npos);
  // Cancelled after the first batch: nothing merged.
  o = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
  o.progress = [](void*, uint64_t, uint64_t) { return 1; };
  EXPECT_EQ(kldkit_compare_files(&a, base.c_str(), one, 1, &o),
            KLDKIT_ERROR_CANCELLED);
  kldkit_report r = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&r, a, 0), KLDKIT_OK);
  EXPECT_EQ(r.n_tokens, 0u);
  // Two models in one pass, sketch percentiles.
  kldkit_accumulator* c = nullptr;
  ASSERT_EQ(kldkit_accumulator_create(&c, &sketch), KLDKIT_OK);
  kldkit_accumulator* pair[] = {b, c};
  ASSERT_EQ(kldkit_compare_files(pair, base.c_str(), two, 2, nullptr),
            KLDKIT_OK);
  ASSERT_EQ(kldkit_accumulator_report(&r, c, 1), KLDKIT_OK);
  EXPECT_EQ(r.n_tokens, 252u);
  kldkit_accumulator_free(a);
  kldkit_accumulator_free(b);
  kldkit_accumulator_free(c);
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
