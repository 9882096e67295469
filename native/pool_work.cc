#include "pool_work.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace posix_aio {

namespace {

// libuv's own reading of UV_THREADPOOL_SIZE (src/threadpool.c): default 4,
// at least 1, at most 1024. The pool is the process's, and so is this
// variable: libuv reads it once, from the process environment.
size_t PoolThreads() {
  const char* value = std::getenv("UV_THREADPOOL_SIZE");
  if (value == nullptr) return 4;
  auto threads = static_cast<unsigned>(std::atoi(value));
  return std::clamp(threads, 1u, 1024u);
}

// How a pool job for `op` may be withdrawn before it starts.
PoolWork::Withdraw WithdrawFor(const Op& op) {
  if (op.kind == OpKind::kClose) return PoolWork::Withdraw::kNever;
  return TraitsOf(op.kind).cancellable ? PoolWork::Withdraw::kByCancel
                                       : PoolWork::Withdraw::kAtTeardown;
}

bool MayShare(const Op* op) { return WithdrawFor(*op) == PoolWork::Withdraw::kAtTeardown; }

}  // namespace

PoolWork::PoolWork(uv_loop_t* loop, CompletionSink& sink)
    : loop_(loop), sink_(sink), pool_threads_(PoolThreads()) {}

PoolWork::~PoolWork() {
  // Destroying groups that a pool thread may still touch would be a
  // use-after-free; Drain must have run.
  if (outstanding_ != 0) {
    std::fprintf(stderr, "posix-aio: PoolWork destroyed with work in flight\n");
    std::abort();
  }
}

void PoolWork::Queue(Op* const* ops, size_t count, Job job, void* context,
                     Withdraw withdraw, Gather* gather) {
  auto* group = new Group();
  group->job = job;
  group->context = context;
  group->withdraw = withdraw;
  group->gather = gather;
  group->ops.assign(ops, ops + count);
  Start(group);
}

void PoolWork::Start(Group* group) {
  group->req.data = group;
  group->owner = this;
  int rc = uv_queue_work(loop_, &group->req, Work, AfterWork);
  if (rc != 0) {
    // Only fails for a null callback or a closing loop; report it per op.
    for (Op* op : group->ops) op->result = rc;
    Deliver(group);
    return;
  }
  group->next = head_;
  if (head_) head_->prev = group;
  head_ = group;
  ++outstanding_;
  if (group->withdraw == Withdraw::kByCancel) {
    for (const Op* op : group->ops) cancelable_[op] = group;
  }
}

void PoolWork::QueueEach(Op* const* ops, size_t count, bool together) {
  if (count == 0) return;
  if (together && count > pool_threads_ && std::all_of(ops, ops + count, MayShare)) {
    QueueShared(ops, count);
    return;
  }
  Gather* gather = together ? new Gather(count) : nullptr;
  auto run = [](void*, Op* const* job, size_t n) {
    for (size_t i = 0; i < n; ++i) RunBlocking(*job[i]);
  };
  for (size_t i = 0; i < count; ++i) {
    Queue(&ops[i], 1, run, nullptr, WithdrawFor(*ops[i]), gather);
  }
}

void PoolWork::QueueShared(Op* const* ops, size_t count) {
  auto* shared = new Shared();
  shared->ops.assign(ops, ops + count);
  shared->jobs_left = pool_threads_;
  auto run = [](void* context, Op* const*, size_t) {
    auto* work = static_cast<Shared*>(context);
    size_t i;
    while ((i = work->next.fetch_add(1, std::memory_order_relaxed)) < work->ops.size()) {
      RunBlocking(*work->ops[i]);
      MarkFinished(*work->ops[i]);
    }
  };
  for (size_t job = 0; job < pool_threads_; ++job) {
    auto* group = new Group();
    group->job = run;
    group->context = shared;
    group->withdraw = Withdraw::kAtTeardown;
    group->gather = nullptr;
    group->shared = shared;
    Start(group);
  }
}

void PoolWork::FinishShared(Shared* shared) {
  if (--shared->jobs_left > 0) return;
  // Ops that no job took: their jobs were withdrawn (teardown) or never
  // started (a closing loop).
  for (size_t i = std::min(shared->next.load(), shared->ops.size()); i < shared->ops.size(); ++i) {
    shared->ops[i]->result = -ECANCELED;
  }
  sink_.Complete(shared->ops.data(), shared->ops.size());
  delete shared;
}

void PoolWork::Work(uv_work_t* req) {
  auto* group = static_cast<Group*>(req->data);
  group->job(group->context, group->ops.data(), group->ops.size());
  // Final now, though the sink hears of them only once the loop turns.
  for (Op* op : group->ops) MarkFinished(*op);
  group->finished.store(true, std::memory_order_release);
}

void PoolWork::AfterWork(uv_work_t* req, int status) {
  auto* group = static_cast<Group*>(req->data);
  PoolWork* self = group->owner;
  if (status == UV_ECANCELED) {
    for (Op* op : group->ops) op->result = -ECANCELED;
  }
  if (group->prev) group->prev->next = group->next;
  if (group->next) group->next->prev = group->prev;
  if (self->head_ == group) self->head_ = group->next;
  --self->outstanding_;
  if (group->withdraw == Withdraw::kByCancel) {
    for (const Op* op : group->ops) self->cancelable_.erase(op);
  }
  self->Deliver(group);
}

void PoolWork::Deliver(Group* group) {
  Gather* gather = group->gather;
  if (group->shared != nullptr) {
    FinishShared(group->shared);
  } else if (gather == nullptr) {
    sink_.Complete(group->ops.data(), group->ops.size());
  } else {
    gather->done.insert(gather->done.end(), group->ops.begin(),
                        group->ops.end());
    if (--gather->remaining == 0) {
      sink_.Complete(gather->done.data(), gather->done.size());
      delete gather;
    }
  }
  delete group;
}

int PoolWork::Cancel(const Op* op) {
  auto found = cancelable_.find(op);
  if (found == cancelable_.end()) return kAllDone;
  Group* group = found->second;
  if (uv_cancel(reinterpret_cast<uv_req_t*>(&group->req)) == 0) return kCanceled;
  return group->finished.load(std::memory_order_acquire) ? kAllDone : kNotCanceled;
}

void PoolWork::Drain() {
  for (Group* group = head_; group; group = group->next) {
    if (group->withdraw != Withdraw::kNever) {
      uv_cancel(reinterpret_cast<uv_req_t*>(&group->req));
    }
  }
  // Our requests keep the loop alive, so each turn blocks until a pool
  // thread reports back.
  while (outstanding_ > 0) uv_run(loop_, UV_RUN_ONCE);
}

}  // namespace posix_aio
