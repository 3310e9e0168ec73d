// Worker threads that encode .kldz blocks, each with its own codec. Futures
// are consumed in submission order by the writer, so the file does not
// depend on the thread count. Not installed.
#ifndef KLDKIT_LIB_STORAGE_CONTAINER_POOL_H_
#define KLDKIT_LIB_STORAGE_CONTAINER_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/storage/codec_split.h"

namespace kldkit {
namespace detail {

// Thread-safe Submit; the destructor drops queued jobs and joins.
class BlockPool {
 public:
  using Job = std::function<std::vector<uint8_t>(SplitCodec*)>;

  explicit BlockPool(unsigned threads);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // The future carries the job's result or its exception.
  std::future<std::vector<uint8_t>> Submit(Job job);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<std::vector<uint8_t>(SplitCodec*)>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CONTAINER_POOL_H_
