// The POSIX AIO engine: reads and writes go to lio_listio(LIO_NOWAIT) in
// chunks of ChunkSize(), with one SIGEV_THREAD notification per chunk and
// every aiocb itself SIGEV_NONE (glibc starts a thread per notification, so
// notifying per op would start a thread per op). fsync/fdatasync go through
// aio_fsync, all of a batch waited for by one pool thread in aio_suspend.
// open, fstat and close have no AIO form and run on libuv's pool.
//
// Each op's aiocb is this engine's, held with the op while glibc has it,
// and cancels name it: aio_cancel(fd, NULL) would reach every thread's
// requests on the descriptor, since glibc's AIO is process-wide.
//
// A notification can be lost: glibc ignores a failed pthread_create for a
// SIGEV_THREAD (RLIMIT_NPROC reached), and the chunk would never finish. So
// while chunks are in flight a timer sweeps them: a chunk seen by an
// earlier sweep whose requests are all done is finished by the sweep, and
// the notification, should it still come, finds it taken.
#include <aio.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "engine.h"
#include "pool_work.h"

namespace posix_aio {

namespace {

// An op's control block, while glibc has it.
struct Request {
  Op* op;
  struct aiocb cb;
};

bool GoesToLioListio(const Op& op) {
  // POSIX AIO always has an explicit offset; "the current position" is a
  // plain read/write on the pool.
  return TraitsOf(op.kind).lio && op.position >= 0;
}

bool IsSync(const Op& op) {
  return op.kind == OpKind::kFsync || op.kind == OpKind::kFdatasync;
}

void Prepare(Request& request) {
  const Op& op = *request.op;
  request.cb = {};
  request.cb.aio_fildes = op.fd;
  request.cb.aio_buf = op.data;
  request.cb.aio_nbytes = op.length;
  request.cb.aio_offset = op.position;
  request.cb.aio_reqprio = op.reqprio;
  request.cb.aio_lio_opcode = op.kind == OpKind::kWrite ? LIO_WRITE : LIO_READ;
  request.cb.aio_sigevent.sigev_notify = SIGEV_NONE;
  request.op->result = 0;
}

// Reads a finished request's outcome into op.result. `submit_errno` is the
// error lio_listio returned for the chunk, if any: glibc leaves a request it
// could not queue (EAGAIN) looking like a finished zero-byte transfer, so a
// zero-byte result for a non-empty transfer in such a chunk is that error.
void Collect(Request& request, int submit_errno) {
  Op& op = *request.op;
  int err = aio_error(&request.cb);
  if (err == EINPROGRESS) {
    op.result = -EIO;  // callers wait first; never report a running op done
    return;
  }
  // Always reap: on the BSDs aio_return is what frees the kernel's record.
  ssize_t ret = aio_return(&request.cb);
  if (err == 0) {
    op.result = ret;
  } else {
    op.result = -(err > 0 ? err : errno);
  }
  if (submit_errno != 0 && op.result == 0 && IsTransfer(op.kind) &&
      op.length > 0) {
    op.result = -submit_errno;
  }
}

// Blocks until no request among `requests` that glibc took (op.result still
// 0) is in progress.
void WaitAll(Request* requests, size_t count) {
  std::vector<const struct aiocb*> pending;
  pending.reserve(count);
  for (;;) {
    pending.clear();
    for (size_t i = 0; i < count; ++i) {
      Request& request = requests[i];
      if (request.op->result != 0) continue;
      if (aio_error(&request.cb) == EINPROGRESS) pending.push_back(&request.cb);
    }
    if (pending.empty()) return;
    if (aio_suspend(pending.data(), static_cast<int>(pending.size()),
                    nullptr) != 0 &&
        errno != EINTR && errno != EAGAIN) {
      // Should not happen with valid, queued control blocks; do not spin.
      usleep(1000);
    }
  }
}

std::vector<Request> RequestsFor(Op* const* ops, size_t count) {
  std::vector<Request> requests(count);
  for (size_t i = 0; i < count; ++i) {
    requests[i].op = ops[i];
    Prepare(requests[i]);
  }
  return requests;
}

int FromAioCancel(int rc) {
  if (rc == -1) return -errno;
  if (rc == AIO_CANCELED) return kCanceled;
  if (rc == AIO_NOTCANCELED) return kNotCanceled;
  return kAllDone;
}

// How often chunks in flight are checked for a lost notification.
constexpr uint64_t kSweepMs = 100;

size_t DetectChunkSize() {
  long limit = sysconf(_SC_AIO_LISTIO_MAX);
  if (limit > 0 && static_cast<size_t>(limit) < kDefaultChunkSize) {
    return static_cast<size_t>(limit);
  }
  return kDefaultChunkSize;
}

class PosixEngine final : public Engine {
 public:
  PosixEngine(uv_loop_t* loop, CompletionSink& sink)
      : Engine(sink), loop_(loop), pool_(loop, sink), chunk_size_(DetectChunkSize()) {
    uv_timer_init(loop_, &sweep_);
    sweep_.data = this;
    // The glue keeps the loop alive while ops are in flight; the timer
    // alone must not.
    uv_unref(reinterpret_cast<uv_handle_t*>(&sweep_));
  }

  const char* Name() const override { return "posix"; }
  size_t ChunkSize() const override { return chunk_size_; }

  void Submit(Op* const* ops, size_t count, bool together) override {
    std::vector<Op*> listio;
    std::vector<Op*> syncs;
    std::vector<Op*> blocking;  // no AIO form: run on the pool
    for (size_t i = 0; i < count; ++i) {
      Op* op = ops[i];
      if (GoesToLioListio(*op)) {
        listio.push_back(op);
      } else if (IsSync(*op)) {
        syncs.push_back(op);
      } else {
        blocking.push_back(op);
      }
    }
    pool_.QueueEach(blocking.data(), blocking.size(), together);
    for (size_t i = 0; i < listio.size(); i += chunk_size_) {
      size_t n = std::min(chunk_size_, listio.size() - i);
      SubmitChunk(listio.data() + i, n);
    }
    if (!listio.empty() && !uv_is_active(reinterpret_cast<uv_handle_t*>(&sweep_))) {
      uv_timer_start(&sweep_, OnSweep, kSweepMs, kSweepMs);
    }
    if (!syncs.empty()) QueueSyncs(syncs.data(), syncs.size());
  }

  void SubmitWait(Op* const* ops, size_t count) override {
    std::vector<Op*> listio;
    std::vector<Op*> syncs;
    for (size_t i = 0; i < count; ++i) {
      Op* op = ops[i];
      if (GoesToLioListio(*op)) {
        listio.push_back(op);
      } else if (IsSync(*op)) {
        syncs.push_back(op);
      } else {
        RunBlocking(*op);
      }
    }
    std::vector<struct aiocb*> list;
    for (size_t i = 0; i < listio.size(); i += chunk_size_) {
      size_t n = std::min(chunk_size_, listio.size() - i);
      std::vector<Request> requests = RequestsFor(listio.data() + i, n);
      list.clear();
      for (Request& request : requests) list.push_back(&request.cb);
      int submit_errno = 0;
      if (lio_listio(LIO_WAIT, list.data(), static_cast<int>(n), nullptr) != 0 &&
          errno != EIO) {
        submit_errno = errno;  // EIO only says some request failed
      }
      // LIO_WAIT can return early on a signal; finish waiting here.
      WaitAll(requests.data(), n);
      for (Request& request : requests) Collect(request, submit_errno);
    }
    if (!syncs.empty()) {
      std::vector<Request> requests = RequestsFor(syncs.data(), syncs.size());
      for (Request& request : requests) StartSync(request);
      WaitAll(requests.data(), requests.size());
      for (Request& request : requests) {
        if (request.op->result == 0) Collect(request, 0);
      }
    }
  }

  int Cancel(Op* op) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (live_.count(op) != 0) {
        auto* cb = static_cast<struct aiocb*>(op->engine_data);
        return FromAioCancel(aio_cancel(op->fd, cb));
      }
    }
    return pool_.Cancel(op);
  }

  void Drive() override { Sweep(false); }

  // A request glibc holds has run once it is no longer in progress, though
  // its chunk (and so its result) waits for the chunk's other requests.
  bool HasRun(const Op& op) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (live_.count(const_cast<Op*>(&op)) != 0) {
        return aio_error(static_cast<struct aiocb*>(op.engine_data)) != EINPROGRESS;
      }
    }
    return IsFinished(op);
  }

  void Shutdown() override {
    {
      // This env's requests only, one by one; the rest are waited for.
      std::lock_guard<std::mutex> lock(mutex_);
      for (Op* op : live_) aio_cancel(op->fd, static_cast<struct aiocb*>(op->engine_data));
    }
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (idle_.wait_for(lock, std::chrono::milliseconds(kSweepMs),
                           [this] { return chunks_in_flight_ == 0; })) {
          break;
        }
      }
      Sweep(false);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), [](uv_handle_t* handle) {
      static_cast<PosixEngine*>(handle->data)->sweep_closed_ = true;
    });
    while (!sweep_closed_) uv_run(loop_, UV_RUN_NOWAIT);
    pool_.Drain();  // the sync waiters (and closes) always run
  }

 private:
  // A chunk is finished by whichever of two parties comes second: the
  // notification, and the submitting thread once lio_listio has returned
  // and its error is recorded. glibc may notify before lio_listio returns
  // (at once, from a new thread, when it could queue nothing: EAGAIN), so
  // the notification alone could free the chunk under the submitter, or
  // collect the ops before learning that they were never queued.
  struct Chunk;
  // What the notification carries. Whoever takes `chunk` first, the
  // notification or a sweep, is the chunk's notifying party; the
  // notification frees this (a lost one leaks it: a word per lost thread).
  struct Notice {
    std::atomic<Chunk*> chunk;
  };

  struct Chunk {
    PosixEngine* engine;
    std::vector<Request> requests;
    Notice* notice = nullptr;
    int submit_errno = 0;
    bool swept = false;  // seen by a sweep; loop thread, under mutex_
    std::atomic<int> parties{2};
  };

  // aio_fsync requests, waited for by one pool job.
  struct Syncs {
    PosixEngine* engine;
    std::vector<Request> requests;
  };

  // Caller holds mutex_. Cancel finds a request glibc holds through these.
  void Hold(std::vector<Request>& requests) {
    for (Request& request : requests) {
      request.op->engine_data = &request.cb;
      live_.insert(request.op);
    }
  }

  void Let(std::vector<Request>& requests) {
    for (Request& request : requests) {
      live_.erase(request.op);
      request.op->engine_data = nullptr;
    }
  }

  void SubmitChunk(Op* const* ops, size_t count) {
    auto* chunk = new Chunk{this, RequestsFor(ops, count)};
    chunk->notice = new Notice{chunk};
    std::vector<struct aiocb*> list(count);
    for (size_t i = 0; i < count; ++i) list[i] = &chunk->requests[i].cb;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++chunks_in_flight_;
      chunks_.insert(chunk);
      Hold(chunk->requests);
    }
    struct sigevent done {};
    done.sigev_notify = SIGEV_THREAD;
    done.sigev_notify_function = OnChunkDone;
    done.sigev_value.sival_ptr = chunk->notice;
    // On failure glibc still notifies once for the chunk (immediately when
    // nothing was queued), and the requests it could not queue carry their
    // error; so the notification is always the single place ops finish.
    if (lio_listio(LIO_NOWAIT, list.data(), static_cast<int>(count), &done) != 0 &&
        errno != EIO) {
      chunk->submit_errno = errno;
    }
    ChunkDone(chunk);
  }

  static void OnChunkDone(union sigval value) {
    auto* notice = static_cast<Notice*>(value.sival_ptr);
    Chunk* chunk = notice->chunk.exchange(nullptr);
    // Taken by a sweep: the chunk, and maybe the engine, are gone.
    if (chunk != nullptr) ChunkDone(chunk);
    delete notice;
  }

  // Loop thread (the timer, Drive, Shutdown). A chunk whose requests are
  // all done is finished here if its notification has not taken it yet;
  // with `only_seen` (the timer), only a chunk in flight since an earlier
  // sweep, so that short-lived chunks are left to their notifications.
  // Taking one whose notification is on its way is harmless (it finds the
  // chunk taken), and freeing its aiocbs is too: glibc sets a request's
  // error and notifies under the lock aio_error takes, so once aio_error
  // says done, glibc is done with the aiocb. The submitter's part is always
  // done by then: lio_listio returned on this thread.
  void Sweep(bool only_seen) {
    std::vector<Chunk*> taken;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (Chunk* chunk : chunks_) {
        bool seen = chunk->swept;
        chunk->swept = true;
        if (only_seen && !seen) continue;
        bool running = std::any_of(chunk->requests.begin(), chunk->requests.end(),
                                   [](Request& r) { return aio_error(&r.cb) == EINPROGRESS; });
        if (running) continue;
        Chunk* expected = chunk;
        if (chunk->notice->chunk.compare_exchange_strong(expected, nullptr)) {
          taken.push_back(chunk);
        }
      }
    }
    for (Chunk* chunk : taken) ChunkDone(chunk);
  }

  static void OnSweep(uv_timer_t* timer) {
    auto* self = static_cast<PosixEngine*>(timer->data);
    self->Sweep(true);
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (self->chunks_.empty()) uv_timer_stop(timer);
  }

  // Once from each party; the second collects and delivers the ops.
  static void ChunkDone(Chunk* chunk) {
    if (chunk->parties.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    PosixEngine* self = chunk->engine;
    std::vector<Op*> ops;
    ops.reserve(chunk->requests.size());
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      for (Request& request : chunk->requests) {
        Collect(request, chunk->submit_errno);
        ops.push_back(request.op);
      }
      self->Let(chunk->requests);
      self->chunks_.erase(chunk);
    }
    delete chunk;
    self->sink_.Complete(ops.data(), ops.size());
    // Last touch of the engine: Shutdown may destroy it once this is seen.
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (--self->chunks_in_flight_ == 0) self->idle_.notify_all();
  }

  static void StartSync(Request& request) {
    int how = request.op->kind == OpKind::kFsync ? O_SYNC : O_DSYNC;
    if (aio_fsync(how, &request.cb) != 0) request.op->result = -errno;
  }

  void QueueSyncs(Op* const* ops, size_t count) {
    auto* syncs = new Syncs{this, RequestsFor(ops, count)};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (Request& request : syncs->requests) StartSync(request);
      Hold(syncs->requests);
    }
    pool_.Queue(ops, count, WaitForSyncs, syncs, PoolWork::Withdraw::kNever);
  }

  // Pool job: waits for a batch of aio_fsync requests, then collects them.
  static void WaitForSyncs(void* context, Op* const*, size_t) {
    auto* syncs = static_cast<Syncs*>(context);
    PosixEngine* self = syncs->engine;
    WaitAll(syncs->requests.data(), syncs->requests.size());
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      for (Request& request : syncs->requests) {
        if (request.op->result == 0) Collect(request, 0);
      }
      self->Let(syncs->requests);
    }
    delete syncs;
  }

  uv_loop_t* loop_;
  PoolWork pool_;
  const size_t chunk_size_;
  uv_timer_t sweep_;
  bool sweep_closed_ = false;
  std::mutex mutex_;
  std::condition_variable idle_;
  size_t chunks_in_flight_ = 0;     // guarded by mutex_
  std::unordered_set<Chunk*> chunks_;  // not yet finished; mutex_
  std::unordered_set<Op*> live_;    // ops whose request glibc holds; mutex_
};

}  // namespace

std::unique_ptr<Engine> MakePosixEngine(uv_loop_t* loop, CompletionSink& sink,
                                        std::string*) {
  return std::make_unique<PosixEngine>(loop, sink);
}

}  // namespace posix_aio
