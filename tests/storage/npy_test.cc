// Tests of the .npy reader and writer: the real fixture (written by numpy),
// hand-built files of every dtype and version, rejected and corrupt files.
#include "kldkit/npy.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lib/storage/npy_format.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using Bytes = std::string;

std::string TempPath(const std::string& name) {
  return testing::TempPath("npy", name);
}


std::string WriteTemp(const std::string& name, const Bytes& b) {
  const std::string path = TempPath(name);
  testing::WriteFileBytes(path, b);
  return path;
}


template <typename T>
Bytes Raw(const std::vector<T>& v) {
  return Bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// An .npy file built by hand: preamble of `major`.0, the dictionary as given
// (no padding needed by readers), then `data`.
Bytes Npy(const std::string& dict, const Bytes& data, int major = 1) {
  Bytes b = "\x93NUMPY";
  b += static_cast<char>(major);
  b += '\0';
  const size_t n = dict.size();
  b += static_cast<char>(n & 0xff);
  b += static_cast<char>(n >> 8);
  if (major >= 2) b += Bytes(2, '\0');
  return b + dict + data;
}

std::string Dict(const std::string& descr, const std::string& shape,
                 const std::string& order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order +
         ", 'shape': " + shape + ", }";
}

kldkit_status OpenStatus(const Bytes& file, std::string* message = nullptr) {
  const std::string path = WriteTemp("status.npy", file);
  kldkit_status status = KLDKIT_OK;
  try {
    NpyReader reader(path);
  } catch (const Error& e) {
    status = e.Status();
    if (message != nullptr) *message = e.what();
  }
  std::remove(path.c_str());
  return status;
}

// ---- The fixture -----------------------------------------------------------

TEST(Npy, ReadsFixtureLogits) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.f32.npy");
  NpyReader reader(path);
  EXPECT_EQ(reader.Dtype(), NpyDtype::kF32);
  EXPECT_EQ(reader.Shape(), (std::vector<uint64_t>{252, 32000}));
  EXPECT_EQ(reader.Rows(), 252u);
  EXPECT_EQ(reader.Cols(), 32000u);
  const Bytes raw = testing::ReadFileBytes(path);
  ASSERT_EQ(raw.size(), 128u + 252u * 32000 * 4);
  std::vector<float> row(32000);
  for (uint64_t r : {uint64_t{0}, uint64_t{77}, uint64_t{251}}) {
    reader.ReadRow(r, row);
    EXPECT_EQ(std::memcmp(raw.data() + 128 + r * 128000, row.data(), 128000), 0);
  }
  reader.ReadRow(0, row);
  // First float of the file, bytes 9a 0e 6b c1 (see xxd): about -14.7.
  uint32_t bits;
  std::memcpy(&bits, row.data(), 4);
  EXPECT_EQ(bits, 0xc16b0e9au);
}

TEST(Npy, WriterHeaderMatchesNumpyBytes) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.f32.npy");
  // numpy wrote the fixture: our header for the same shape is identical.
  EXPECT_EQ(detail::FormatNpyHeader("<f4", {252, 32000}),
            testing::ReadFileBytes(path).substr(0, 128));
}

// ---- Hand-built files --------------------------------------------------------

TEST(Npy, ReadsF32TwoDimensional) {
  const std::vector<float> v = {1.5f, -2.0f, 3.25f, 0.0f, -0.5f, 1e30f};
  const std::string path =
      WriteTemp("f32.npy", Npy(Dict("<f4", "(2, 3)"), Raw(v)));
  NpyReader reader(path);
  EXPECT_EQ(reader.Rows(), 2u);
  EXPECT_EQ(reader.Cols(), 3u);
  std::vector<float> row(3);
  reader.ReadRow(1, row);
  EXPECT_EQ(row, (std::vector<float>{0.0f, -0.5f, 1e30f}));
  std::vector<float> wrong(4);
  EXPECT_THROW(reader.ReadRow(0, wrong), Error);
  EXPECT_THROW(reader.ReadRow(2, row), Error);
  EXPECT_THROW(reader.ReadInt32(), Error);
  std::remove(path.c_str());
}

TEST(Npy, ReadsF16WithSpecialValues) {
  // Halves and their values worked out by hand.
  const std::vector<uint16_t> h = {0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00,
                                   0xfc00, 0x8000, 0x0400, 0x3555, 0x83ff};
  const std::vector<float> want = {1.0f,
                                   -2.0f,
                                   5.9604644775390625e-8f,  // 2^-24
                                   65504.0f,
                                   INFINITY,
                                   -INFINITY,
                                   -0.0f,
                                   6.103515625e-5f,  // 2^-14
                                   0.333251953125f,  // 1365/4096
                                   -6.0975551605224609375e-5f};  // -1023*2^-24
  const std::string path = WriteTemp(
      "f16.npy", Npy(Dict("<f2", "(1, 10)"), Raw(h)));
  NpyReader reader(path);
  EXPECT_EQ(reader.Dtype(), NpyDtype::kF16);
  std::vector<float> row(10);
  reader.ReadRow(0, row);
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(row[i], want[i]) << i;
    EXPECT_EQ(std::signbit(row[i]), std::signbit(want[i])) << i;
  }
  std::remove(path.c_str());
}

TEST(Npy, F16EveryBitPatternMatchesLdexp) {
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  // Two rows of 32768: the second row exercises the row offset.
  const std::string path =
      WriteTemp("f16_all.npy", Npy(Dict("<f2", "(2, 32768)"), Raw(all)));
  NpyReader reader(path);
  std::vector<float> row(32768);
  int bad = 0;
  for (uint64_t r = 0; r < 2; ++r) {
    reader.ReadRow(r, row);
    for (size_t j = 0; j < row.size(); ++j) {
      const unsigned bits = static_cast<unsigned>(r * 32768 + j);
      const int e = (bits >> 10) & 31;
      const int m = bits & 1023;
      const double sign = (bits & 0x8000) ? -1.0 : 1.0;
      if (e == 31) {
        bad += m == 0 ? row[j] != sign * INFINITY : !std::isnan(row[j]);
        continue;
      }
      const double want = e == 0 ? sign * std::ldexp(m, -24)
                                 : sign * std::ldexp(1024 + m, e - 25);
      bad += static_cast<double>(row[j]) != want ||
             std::signbit(row[j]) != (sign < 0);
    }
  }
  EXPECT_EQ(bad, 0);
  std::remove(path.c_str());
}

TEST(Npy, ReadsInt32OneDimensional) {
  const std::vector<int32_t> v = {256, 84, -1, 2147483647, 0};
  const std::string path =
      WriteTemp("i32.npy", Npy(Dict("<i4", "(5,)"), Raw(v)));
  NpyReader reader(path);
  EXPECT_EQ(reader.Dtype(), NpyDtype::kI32);
  EXPECT_EQ(reader.Rows(), 1u);
  EXPECT_EQ(reader.Cols(), 5u);
  EXPECT_EQ(reader.ReadInt32(), v);
  std::vector<float> row(5);
  EXPECT_THROW(reader.ReadRow(0, row), Error);
  std::remove(path.c_str());
}

TEST(Npy, ReadsVersions2And3AndOddSpacing) {
  const std::vector<float> v = {1, 2, 3, 4};
  for (int major : {2, 3}) {
    const std::string path = WriteTemp(
        "v2.npy", Npy("{\"shape\":(2,2),\"fortran_order\":False,"
                      "\"descr\":\"<f4\"}   \n",
                      Raw(v), major));
    NpyReader reader(path);
    std::vector<float> row(2);
    reader.ReadRow(1, row);
    EXPECT_EQ(row, (std::vector<float>{3, 4})) << major;
    std::remove(path.c_str());
  }
}

TEST(Npy, EmptyArrayIsValid) {
  const std::string path = WriteTemp("empty.npy", Npy(Dict("<f4", "(0, 7)"), ""));
  NpyReader reader(path);
  EXPECT_EQ(reader.Rows(), 0u);
  EXPECT_EQ(reader.Cols(), 7u);
  std::remove(path.c_str());
}

// ---- Rejected files ----------------------------------------------------------

TEST(Npy, UnsupportedContentIsUnsupported) {
  const Bytes four(16, '\0');
  const std::vector<std::pair<Bytes, const char*>> cases = {
      {Npy(Dict(">f4", "(4,)"), four), "big-endian"},
      {Npy(Dict("<f8", "(2,)"), four), "dtype '<f8'"},
      {Npy(Dict("<i8", "(2,)"), four), "dtype '<i8'"},
      {Npy(Dict("|u1", "(16,)"), four), "dtype '|u1'"},
      {Npy(Dict("<f4", "(2, 2)", "True"), four), "fortran_order"},
      {Npy(Dict("<f4", "(1, 2, 2)"), four), "3 dimensions"},
      {Npy(Dict("<f4", "()"), Bytes(4, '\0')), "0 dimensions"},
      {Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}",
           four), "structured"},
  };
  for (const auto& c : cases) {
    std::string message;
    EXPECT_EQ(OpenStatus(c.first, &message), KLDKIT_ERROR_UNSUPPORTED)
        << c.second;
    EXPECT_NE(message.find(c.second), std::string::npos) << message;
  }
  Bytes v4 = Npy(Dict("<f4", "(4,)"), four);
  v4[6] = 4;
  EXPECT_EQ(OpenStatus(v4), KLDKIT_ERROR_UNSUPPORTED);
  Bytes v11 = Npy(Dict("<f4", "(4,)"), four);
  v11[7] = 1;
  EXPECT_EQ(OpenStatus(v11), KLDKIT_ERROR_UNSUPPORTED);
}

TEST(Npy, CorruptHeadersAreFormat) {
  const Bytes four(16, '\0');
  const std::vector<std::string> dicts = {
      "{'descr': '<f4', 'shape': (4,)}",                          // missing key
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}",
      "{'descr': '<f4, 'fortran_order': False, 'shape': (4,)}",   // quotes
      "{'descr': '<f4', 'fortran_order': Flase, 'shape': (4,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} x",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4 4)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': [4]}",
      "{'descr': '<f4', 'fortran_order': False, "
      "'shape': (99999999999999999999999,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648)}",
      "",
  };
  for (const std::string& d : dicts) {
    EXPECT_EQ(OpenStatus(Npy(d, four)), KLDKIT_ERROR_FORMAT) << d;
  }
  Bytes magic = Npy(Dict("<f4", "(4,)"), four);
  magic[1] = 'n';
  EXPECT_EQ(OpenStatus(magic), KLDKIT_ERROR_FORMAT);
  EXPECT_EQ(OpenStatus("PK\x03\x04"), KLDKIT_ERROR_FORMAT);
  // A v2 header length of 2^31: rejected before reading it.
  Bytes huge = Npy(Dict("<f4", "(4,)"), four, 2);
  huge[11] = '\x80';
  std::string message;
  EXPECT_EQ(OpenStatus(huge, &message), KLDKIT_ERROR_FORMAT);
  EXPECT_NE(message.find("header length"), std::string::npos) << message;
}

TEST(Npy, SizesAreCheckedAgainstTheFile) {
  const std::vector<float> v(12, 1.0f);
  std::string message;
  // 3 rows of 4 floats, the last one cut: 2 complete rows.
  EXPECT_EQ(OpenStatus(Npy(Dict("<f4", "(3, 4)"), Raw(v).substr(0, 40)),
                       &message),
            KLDKIT_ERROR_TRUNCATED);
  EXPECT_NE(message.find("2 of 3 rows"), std::string::npos) << message;
  EXPECT_EQ(OpenStatus(Npy(Dict("<f4", "(3, 4)"), Raw(v) + "x"), &message),
            KLDKIT_ERROR_FORMAT);
  EXPECT_NE(message.find("1 unexpected bytes"), std::string::npos) << message;
  // A shape of 2^60 elements with 48 bytes of data: no allocation, TRUNCATED.
  EXPECT_EQ(OpenStatus(Npy(Dict("<i4", "(1152921504606846976,)"), Raw(v))),
            KLDKIT_ERROR_TRUNCATED);
  // Cut in the preamble and in the dictionary.
  const Bytes good = Npy(Dict("<f4", "(3, 4)"), Raw(v));
  EXPECT_EQ(OpenStatus(good.substr(0, 4)), KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(OpenStatus(good.substr(0, 9)), KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(OpenStatus(good.substr(0, 30)), KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(OpenStatus(""), KLDKIT_ERROR_TRUNCATED);
}

TEST(Npy, EveryPrefixAndByteFlipFailsCleanly) {
  const std::vector<float> v(6, 2.0f);
  const Bytes good = Npy(Dict("<f4", "(2, 3)"), Raw(v));
  for (size_t n = 0; n < good.size(); ++n) {
    const kldkit_status s = OpenStatus(good.substr(0, n));
    EXPECT_TRUE(s == KLDKIT_ERROR_TRUNCATED || s == KLDKIT_ERROR_FORMAT) << n;
  }
  const size_t header = good.size() - 24;
  for (size_t i = 0; i < header; ++i) {
    Bytes bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    const kldkit_status s = OpenStatus(bad);  // must not crash or hang
    EXPECT_NE(s, KLDKIT_ERROR_INTERNAL) << i;
  }
}

// ---- Writer -------------------------------------------------------------------

TEST(NpyWriter, F32RoundTripAndExactHeader) {
  const std::string path = TempPath("w.npy");
  {
    NpyF32Writer w(path, 3, 4);
    for (int r = 0; r < 3; ++r) {
      const float base = static_cast<float>(r * 10);
      w.AppendRow(std::vector<float>{base, base + 1, base + 2, -base});
    }
    w.Close();
  }
  const Bytes bytes = testing::ReadFileBytes(path);
  // 10-byte preamble + 59-byte dictionary + '\n' = 70: padded to 128.
  EXPECT_EQ(bytes.size(), 128u + 48);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8,
            118);
  EXPECT_EQ(bytes.substr(10, 59),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
  EXPECT_EQ(bytes.substr(69, 58), Bytes(58, ' '));
  EXPECT_EQ(bytes[127], '\n');
  NpyReader reader(path);
  std::vector<float> row(4);
  reader.ReadRow(2, row);
  EXPECT_EQ(row, (std::vector<float>{20, 21, 22, -20}));
  std::remove(path.c_str());
}

TEST(NpyWriter, Int32RoundTrip) {
  const std::string path = TempPath("w_i32.npy");
  const std::vector<int32_t> v = {256, 84, 104, 101, 32, -7};
  WriteNpyInt32(path, v);
  const Bytes bytes = testing::ReadFileBytes(path);
  EXPECT_EQ(bytes.size(), 128u + 24);  // 10 + 57 + 1 = 68 -> 128
  EXPECT_EQ(bytes.substr(10, 57),
            "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }");
  EXPECT_EQ(NpyReader(path).ReadInt32(), v);
  EXPECT_FALSE(testing::FileExists(path + ".tmp"));
  std::remove(path.c_str());
}

TEST(NpyWriter, RowCountAndSizeAreChecked) {
  const std::string path = TempPath("w_count.npy");
  {
    NpyF32Writer w(path, 2, 3);
    EXPECT_THROW(w.AppendRow(std::vector<float>(2)), Error);
    w.AppendRow(std::vector<float>(3));
    try {
      w.Close();
      FAIL() << "closed with a missing row";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_MISMATCH);
    }
    EXPECT_TRUE(testing::FileExists(path + ".tmp"));
  }
  EXPECT_FALSE(testing::FileExists(path + ".tmp"));
  EXPECT_FALSE(testing::FileExists(path));
}

}  // namespace
}  // namespace kldkit
