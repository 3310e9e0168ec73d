// DetectFileKind: each format by its magic bytes whatever the name, short
// and unknown files, and a missing file.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "kldkit/file_kind.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

FileKind KindOf(const std::string& bytes) {
  const std::string path = testing::TempPath("kind", "file.kldz");
  testing::WriteFileBytes(path, bytes);
  const FileKind kind = DetectFileKind(path);
  std::remove(path.c_str());
  return kind;
}

TEST(FileKind, MagicBytesDecideNotTheName) {
  EXPECT_EQ(KindOf(std::string("_logits_") + std::string(12, '\0')),
            FileKind::kLlama);
  EXPECT_EQ(KindOf("\x89KLDZ\r\n\x1a rest"), FileKind::kContainer);
  EXPECT_EQ(KindOf("\x93NUMPY\x01\x00"), FileKind::kNpy);
  EXPECT_EQ(KindOf("\x93NUMPY"), FileKind::kNpy);  // 6 bytes suffice
  EXPECT_EQ(KindOf("_logits"), FileKind::kUnknown);  // one byte short
  EXPECT_EQ(KindOf("\x89KLDZ\r\n\x1b"), FileKind::kUnknown);
  EXPECT_EQ(KindOf(""), FileKind::kUnknown);
  EXPECT_STREQ(FileKindName(FileKind::kContainer), "kldkit container (.kldz)");
  EXPECT_STREQ(FileKindName(FileKind::kUnknown), "unknown");
}

TEST(FileKind, KldzExtensionIsTheNamesLastFiveBytes) {
  EXPECT_TRUE(HasKldzExtension("base.kldz"));
  EXPECT_TRUE(HasKldzExtension(".kldz"));
  EXPECT_FALSE(HasKldzExtension("base.kldz.tmp"));
  EXPECT_FALSE(HasKldzExtension("base.KLDZ"));
  EXPECT_FALSE(HasKldzExtension("kldz"));
}

TEST(FileKind, MissingFileIsAnIoError) {
  try {
    DetectFileKind(testing::TempPath("kind", "missing"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_IO);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

}  // namespace
}  // namespace kldkit
