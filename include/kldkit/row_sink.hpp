// Where stored base rows go: the llama.cpp file writer and the .kldz
// container writer behind one interface, so float logits, .npy arrays and
// llama.cpp rows stream into either (base_writer.hpp). Since 0.2.
#ifndef KLDKIT_ROW_SINK_HPP_
#define KLDKIT_ROW_SINK_HPP_

#include <cstdint>

#include <gsl/span>

namespace kldkit {

// Rows of LlamaRowWords(n_vocab) words appended in file order; nothing is
// at the final path until Close() succeeds. Not thread-safe.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Throws INVALID_ARGUMENT (size), MISMATCH (past the layout's rows),
  // IO, CLOSED.
  virtual void AppendRow(gsl::span<const uint16_t> row) = 0;
  // Completes the file (MISMATCH if rows are missing where the format
  // needs them). Afterwards the sink accepts nothing.
  virtual void Close() = 0;
  virtual uint64_t RowCount() const = 0;
};

}  // namespace kldkit

#endif  // KLDKIT_ROW_SINK_HPP_
