// The portable engine: every op is an ordinary blocking syscall run on
// libuv's thread pool (uv_queue_work), one work item per op so that up to
// UV_THREADPOOL_SIZE ops run at once; a chunk's ops reach JS together.
#include <algorithm>

#include "engine.h"
#include "pool_work.h"

namespace posix_aio {

namespace {

class ThreadPoolEngine final : public Engine {
 public:
  ThreadPoolEngine(uv_loop_t* loop, CompletionSink& sink)
      : Engine(sink), pool_(loop, sink) {}

  const char* Name() const override { return "threadpool"; }
  size_t ChunkSize() const override { return kDefaultChunkSize; }

  void Submit(Op* const* ops, size_t count, bool together) override {
    for (size_t i = 0; i < count; i += kDefaultChunkSize) {
      pool_.QueueEach(ops + i, std::min(kDefaultChunkSize, count - i), together);
    }
  }

  int Cancel(Op* op) override { return pool_.Cancel(op); }

  void Shutdown() override { pool_.Drain(); }

 private:
  PoolWork pool_;
};

}  // namespace

std::unique_ptr<Engine> MakeThreadPoolEngine(uv_loop_t* loop, CompletionSink& sink,
                                             std::string*) {
  return std::make_unique<ThreadPoolEngine>(loop, sink);
}

}  // namespace posix_aio
