// Row sources of the evaluation engine: llama.cpp files, .kldz containers
// (decoded ahead on worker threads) and float .npy arrays behind one
// sequential interface, and the token layouts they or a token file give.
#include <algorithm>

#include "kldkit/container.hpp"
#include "kldkit/error.hpp"
#include "kldkit/evaluate.hpp"
#include "kldkit/file_kind.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "lib/common/error.h"
#include "lib/storage/map_or_copy.h"

namespace kldkit {

using detail::WithFile;

uint64_t TokenLayout::RowsPerChunk() const {
  return kldkit::RowsPerChunk(n_ctx);
}

int32_t TokenLayout::Target(uint64_t row) const {
  return LlamaTargetToken(tokens, n_ctx, row);
}

void RowSource::ReadF32(uint64_t, size_t, float*) {
  throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
              Path() + ": holds llama.cpp rows, not float logits");
}

void RowSource::ReadU16(uint64_t, size_t, uint16_t*) {
  throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
              Path() + ": holds float logits, not llama.cpp rows");
}

bool RowSource::ReadSparse(uint64_t, size_t, SparseRows*) { return false; }
MappedRows RowSource::MapRows(uint64_t, size_t) { return {}; }

namespace {

// Rows [first, first + count) of `stride` bytes from `offset` in a mapped
// file, their pages faulted in on this thread.
MappedRows MapFileRows(const detail::MappedFile* file, uint64_t offset,
                       uint64_t first, size_t count, size_t stride,
                       RowType type) {
  if (file == nullptr) return {};
  const uint64_t begin = offset + first * stride;
  if (begin + uint64_t{count} * stride > file->Size()) return {};
  file->Prefault(begin, count * stride);
  file->CheckNotLost();
  return {file->Data() + begin, stride, type};
}

TokenLayout LayoutOf(const LlamaFileHeader& header, gsl::span<const int32_t> t) {
  TokenLayout layout;
  layout.n_ctx = header.n_ctx;
  layout.n_chunk = static_cast<uint32_t>(header.n_chunk);
  layout.tokens.assign(t.begin(), t.end());
  return layout;
}

// What a source of stored llama.cpp rows has whichever reader holds them.
template <class Reader>
class StoredSource : public RowSource {
 public:
  std::string Path() const override { return path_; }
  size_t NVocab() const override {
    return static_cast<size_t>(reader_.Header().n_vocab);
  }
  uint64_t Rows() const override { return reader_.RowCount(); }
  bool IsFloat() const override { return false; }
  const TokenLayout* StoredLayout() const override { return &layout_; }
  RowFloor ScanFloor(uint64_t max_rows) const override {
    return reader_.ScanFloor(max_rows);
  }

 protected:
  explicit StoredSource(const std::string& path)
      : path_(path),
        reader_(path),
        layout_(LayoutOf(reader_.Header(), reader_.Tokens())) {}

  std::string path_;
  Reader reader_;
  TokenLayout layout_;
};

class LlamaSource : public StoredSource<LlamaFileReader> {
 public:
  explicit LlamaSource(const std::string& path)
      : StoredSource(path),
        mapped_(detail::MapIfCheaper(path, reader_.DataOffset(),
                                     reader_.RowWords() * sizeof(uint16_t),
                                     reader_.RowCount())) {}
  MappedRows MapRows(uint64_t first, size_t count) override {
    return MapFileRows(mapped_.get(), reader_.DataOffset(), first, count,
                       reader_.RowWords() * sizeof(uint16_t),
                       RowType::kLlamaU16);
  }
  void CheckMapped() const override {
    if (mapped_) mapped_->CheckNotLost();
  }
  void ReadU16(uint64_t first, size_t count, uint16_t* out) override {
    const size_t words = reader_.RowWords();
    for (size_t i = 0; i < count; ++i) {
      WithFile(path_, [&] {
        reader_.ReadRow(first + i, {out + i * words, words});
      });
    }
  }

 private:
  std::unique_ptr<detail::MappedFile> mapped_;
};

class ContainerSource : public StoredSource<ContainerReader> {
 public:
  ContainerSource(const std::string& path, unsigned threads)
      : StoredSource(path),
        threads_(threads),
        cursor_(reader_.Rows(0, threads_)) {}
  KeepProfile Keep() const override { return reader_.Keep(); }
  void ReadU16(uint64_t first, size_t count, uint16_t* out) override {
    // The cursor decodes ahead on worker threads; restart it only on a seek.
    if (first != next_) cursor_ = reader_.Rows(first, threads_);
    const size_t words = reader_.RowWords();
    try {
      WithFile(path_, [&] {
        for (size_t i = 0; i < count; ++i) {
          if (!cursor_.Next({out + i * words, words})) Short();
        }
      });
    } catch (...) {
      next_ = UINT64_MAX;  // the cursor may be past `first`: restart it
      throw;
    }
    next_ = first + count;
  }
  // A second cursor, made on first use: a source read one way never
  // decodes ahead the other way.
  bool ReadSparse(uint64_t first, size_t count, SparseRows* out) override {
    detail::Require(out != nullptr && out->NVocab() == NVocab(),
                    "sparse rows must have the source's n_vocab");
    if (!sparse_ || first != next_sparse_) {
      sparse_.reset();  // its decodes stop before the next one starts
      sparse_ = std::make_unique<ContainerReader::Cursor>(reader_.Rows(
          first, reader_.RowCount(), threads_, RowForm::kSparse));
    }
    try {
      WithFile(path_, [&] {
        for (size_t i = 0; i < count; ++i) {
          if (!sparse_->NextSparse(out)) Short();
        }
      });
    } catch (...) {
      sparse_.reset();  // a retry starts again from its `first`
      throw;
    }
    next_sparse_ = first + count;
    return true;
  }

 private:
  [[noreturn]] static void Short() {
    throw Error(KLDKIT_ERROR_TRUNCATED, "fewer rows than its seek table");
  }

  unsigned threads_;
  ContainerReader::Cursor cursor_;
  uint64_t next_ = 0;
  std::unique_ptr<ContainerReader::Cursor> sparse_;
  uint64_t next_sparse_ = 0;
};

class NpySource : public RowSource {
 public:
  explicit NpySource(const std::string& path)
      : path_(path), reader_(path) {
    if (reader_.Dtype() == NpyDtype::kI32 || reader_.Shape().size() != 2) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "want float logits of shape [rows, n_vocab] (float32 or "
                  "float16), found an int32 or 1-D array");
    }
    if (reader_.Cols() == 0) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "n_vocab is 0");
    }
    // (An f16 row copied is also widened to f32, which the probe leaves
    // out: mapping is, if anything, chosen too rarely for f16 arrays.)
    mapped_ = detail::MapIfCheaper(path, reader_.DataOffset(), RowBytes(),
                                   reader_.Rows());
  }
  std::string Path() const override { return path_; }
  MappedRows MapRows(uint64_t first, size_t count) override {
    return MapFileRows(mapped_.get(), reader_.DataOffset(), first, count,
                       RowBytes(), F32() ? RowType::kF32 : RowType::kF16);
  }
  void CheckMapped() const override {
    if (mapped_) mapped_->CheckNotLost();
  }
  size_t NVocab() const override { return static_cast<size_t>(reader_.Cols()); }
  uint64_t Rows() const override { return reader_.Rows(); }
  bool IsFloat() const override { return true; }
  void ReadF32(uint64_t first, size_t count, float* out) override {
    const size_t n = NVocab();
    WithFile(path_, [&] {
      for (size_t i = 0; i < count; ++i) {
        reader_.ReadRow(first + i, {out + i * n, n});
      }
    });
  }

 private:
  bool F32() const { return reader_.Dtype() == NpyDtype::kF32; }
  size_t RowBytes() const { return NVocab() * (F32() ? 4 : 2); }

  std::string path_;
  NpyReader reader_;
  std::unique_ptr<detail::MappedFile> mapped_;
};

}  // namespace

std::unique_ptr<RowSource> OpenRowSource(const std::string& path,
                                         size_t threads) {
  std::unique_ptr<RowSource> source;
  WithFile(path, [&] {
    switch (DetectFileKind(path)) {
      case FileKind::kLlama:
        source = std::make_unique<LlamaSource>(path);
        break;
      case FileKind::kContainer:
        source = std::make_unique<ContainerSource>(
            path, static_cast<unsigned>(std::clamp<size_t>(
                      threads, 1, ContainerReader::kMaxCursorThreads)));
        break;
      case FileKind::kNpy:
        source = std::make_unique<NpySource>(path);
        break;
      default:
        throw Error(KLDKIT_ERROR_FORMAT,
                    "not a llama.cpp logits file, .kldz container or .npy "
                    "array (unknown magic)");
    }
  });
  return source;
}

TokenLayout LoadTokenLayout(const std::string& path, uint32_t n_ctx) {
  TokenLayout layout;
  WithFile(path, [&] {
    const FileKind kind = DetectFileKind(path);
    if (kind == FileKind::kLlama || kind == FileKind::kContainer) {
      // A llama.cpp file may be truncated: only its tokens are wanted.
      if (kind == FileKind::kLlama) {
        LlamaFileReader reader(path, /*allow_truncated=*/true);
        layout = LayoutOf(reader.Header(), reader.Tokens());
      } else {
        ContainerReader reader(path);
        layout = LayoutOf(reader.Header(), reader.Tokens());
      }
      if (n_ctx != 0 && n_ctx != layout.n_ctx) {
        throw Error(KLDKIT_ERROR_MISMATCH, "--ctx " + std::to_string(n_ctx) +
                                               " but the file has " +
                                               std::to_string(layout.n_ctx));
      }
      return;
    }
    if (kind != FileKind::kNpy) {
      throw Error(KLDKIT_ERROR_FORMAT,
                  "token ids must be an int32 .npy or a llama.cpp/.kldz file");
    }
    NpyReader reader(path);
    if (reader.Dtype() != NpyDtype::kI32) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "token ids must be an int32 array");
    }
    uint64_t ctx = n_ctx;
    if (reader.Shape().size() == 2) {
      if (n_ctx != 0 && n_ctx != reader.Cols()) {
        throw Error(KLDKIT_ERROR_MISMATCH,
                    "--ctx " + std::to_string(n_ctx) +
                        " but the token array has rows of " +
                        std::to_string(reader.Cols()));
      }
      ctx = reader.Cols();
    }
    if (ctx < 3 || ctx > (1u << 30)) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "a 1-D token array needs --ctx N (N >= 3)");
    }
    layout.tokens = reader.ReadInt32();
    if (layout.tokens.size() % ctx != 0) {
      throw Error(KLDKIT_ERROR_MISMATCH,
                  std::to_string(layout.tokens.size()) +
                      " tokens are not a whole number of chunks of " +
                      std::to_string(ctx));
    }
    layout.n_ctx = static_cast<uint32_t>(ctx);
    layout.n_chunk = static_cast<uint32_t>(layout.tokens.size() / ctx);
  });
  return layout;
}

}  // namespace kldkit
