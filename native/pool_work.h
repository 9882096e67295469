// Runs blocking jobs for groups of ops on libuv's thread pool and completes
// the ops through the sink. The thread-pool engine is built on it, and other
// engines use it for calls they cannot make asynchronously (open, fstat,
// close) or for waiting on their own requests.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include "engine.h"
#include "op.h"

namespace posix_aio {

class PoolWork {
 public:
  // Runs on a pool thread and fills in each op's result.
  using Job = void (*)(void* context, Op* const* ops, size_t count);

  PoolWork(uv_loop_t* loop, CompletionSink& sink);
  ~PoolWork();
  PoolWork(const PoolWork&) = delete;
  PoolWork& operator=(const PoolWork&) = delete;

  // Collects the ops of several groups so that they reach the sink together,
  // once the last group is done: one notification per chunk, like
  // lio_listio, however many pool threads the chunk was spread over.
  struct Gather {
    explicit Gather(size_t groups) : remaining(groups) {}
    size_t remaining;
    std::vector<Op*> done;
  };

  // Who may withdraw a group before a pool thread picks it up.
  enum class Withdraw {
    kByCancel,    // Cancel (a cancellable op), and Drain at teardown
    kAtTeardown,  // only Drain: nothing is lost by not starting it
    kNever,       // it always runs: a close, a wait on requests made elsewhere
  };

  // Loop thread only. With a gather (which the last of its groups frees),
  // the ops are held back until all its groups are done.
  void Queue(Op* const* ops, size_t count, Job job, void* context,
             Withdraw withdraw, Gather* gather = nullptr);

  // Loop thread only. Runs each op as its own job of ordinary blocking
  // syscalls (RunBlocking), so up to UV_THREADPOOL_SIZE run at once; how it
  // may be withdrawn follows its kind's traits, and a close never is.
  // `together`, they reach the sink in one piece when the last is done.
  // A batch of more ops than the pool has threads, none of them of a kind
  // that can be canceled or a close (AIO.write's files, AIO.read's opens),
  // goes as one job per thread instead, each running the next op until none
  // is left: a few handoffs rather than one per op.
  void QueueEach(Op* const* ops, size_t count, bool together);

  // Loop thread only. Withdraws the group holding `op`, if Cancel may and
  // no pool thread has picked it up. Returns a CancelResult.
  int Cancel(const Op* op);

  // Loop thread only, at env teardown: withdraws what has not started and
  // may be, and runs the loop until every group has been completed.
  void Drain();

 private:
  // The ops that QueueEach shares out among several jobs.
  struct Shared {
    std::vector<Op*> ops;
    std::atomic<size_t> next{0};  // the next op a job takes
    size_t jobs_left = 0;         // loop thread only
  };

  struct Group {
    uv_work_t req;
    PoolWork* owner;
    Job job;
    void* context;
    Withdraw withdraw;
    Gather* gather;
    Shared* shared = nullptr;  // the jobs of one shared batch
    std::atomic<bool> finished{false};
    std::vector<Op*> ops;
    Group* prev = nullptr;
    Group* next = nullptr;
  };

  static void Work(uv_work_t* req);
  static void AfterWork(uv_work_t* req, int status);
  void Start(Group* group);
  void Deliver(Group* group);
  void QueueShared(Op* const* ops, size_t count);
  void FinishShared(Shared* shared);

  uv_loop_t* loop_;
  CompletionSink& sink_;
  size_t pool_threads_;  // as libuv counts them
  Group* head_ = nullptr;  // groups queued or running; loop thread only
  size_t outstanding_ = 0;
  // The group of each op Cancel may withdraw; loop thread only.
  std::unordered_map<const Op*, Group*> cancelable_;
};

}  // namespace posix_aio
