#include "lib/storage/container_pool.h"

#include <utility>

namespace kldkit {
namespace detail {

BlockPool::BlockPool(unsigned threads) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { Run(); });
}

BlockPool::~BlockPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    jobs_.clear();  // their futures report broken_promise
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::future<std::vector<uint8_t>> BlockPool::Submit(Job job) {
  std::packaged_task<std::vector<uint8_t>(SplitCodec*)> task(std::move(job));
  auto future = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(task));
  }
  cv_.notify_one();
  return future;
}

void BlockPool::Run() {
  SplitCodec codec;
  for (;;) {
    std::packaged_task<std::vector<uint8_t>(SplitCodec*)> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      task = std::move(jobs_.front());
      jobs_.pop_front();
    }
    task(&codec);
  }
}

}  // namespace detail
}  // namespace kldkit
