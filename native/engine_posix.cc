// The POSIX AIO engine: reads and writes go to lio_listio(LIO_NOWAIT) in
// chunks of ChunkSize(), with one SIGEV_THREAD notification per chunk and
// every aiocb itself SIGEV_NONE (glibc starts a thread per notification, so
// notifying per op would start a thread per op). fsync/fdatasync go through
// aio_fsync, all of a batch waited for by one pool thread in aio_suspend.
// open, fstat and close have no AIO form and run on libuv's pool.
#include <aio.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "engine.h"
#include "pool_work.h"

namespace posix_aio {

namespace {

bool GoesToLioListio(const Op& op) {
  // POSIX AIO always has an explicit offset; "the current position" is a
  // plain read/write on the pool.
  return (IsTransfer(op.code) && op.position >= 0) || op.code == OpCode::kNop;
}

bool IsSync(const Op& op) {
  return op.code == OpCode::kFsync || op.code == OpCode::kFdatasync;
}

void Prepare(Op& op) {
  op.aiocb = {};
  op.aiocb.aio_fildes = op.fd;
  op.aiocb.aio_buf = op.data;
  op.aiocb.aio_nbytes = op.length;
  op.aiocb.aio_offset = op.position;
  op.aiocb.aio_reqprio = op.reqprio;
  op.aiocb.aio_lio_opcode = op.code == OpCode::kRead    ? LIO_READ
                            : op.code == OpCode::kWrite ? LIO_WRITE
                                                        : LIO_NOP;
  op.aiocb.aio_sigevent.sigev_notify = SIGEV_NONE;
  op.result = 0;
}

// Reads a finished request's outcome into op.result. `submit_errno` is the
// error lio_listio returned for the chunk, if any: glibc leaves a request it
// could not queue (EAGAIN) looking like a finished zero-byte transfer, so a
// zero-byte result for a non-empty transfer in such a chunk is that error.
void Collect(Op& op, int submit_errno) {
  if (op.code == OpCode::kNop) {
    op.result = 0;
    return;
  }
  int err = aio_error(&op.aiocb);
  if (err == EINPROGRESS) {
    op.result = -EIO;  // callers wait first; never report a running op done
    return;
  }
  // Always reap: on the BSDs aio_return is what frees the kernel's record.
  ssize_t ret = aio_return(&op.aiocb);
  if (err == 0) {
    op.result = ret;
  } else {
    op.result = -(err > 0 ? err : errno);
  }
  if (submit_errno != 0 && op.result == 0 && IsTransfer(op.code) &&
      op.length > 0) {
    op.result = -submit_errno;
  }
}

// Blocks until no request among `ops` (those handed to the kernel/glibc, i.e.
// op.result still 0) is in progress.
void WaitAll(Op* const* ops, size_t count) {
  std::vector<const struct aiocb*> pending;
  pending.reserve(count);
  for (;;) {
    pending.clear();
    for (size_t i = 0; i < count; ++i) {
      Op& op = *ops[i];
      if (op.code == OpCode::kNop || op.result != 0) continue;
      if (aio_error(&op.aiocb) == EINPROGRESS) pending.push_back(&op.aiocb);
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

int FromAioCancel(int rc) {
  if (rc == -1) return -errno;
  if (rc == AIO_CANCELED) return kCanceled;
  if (rc == AIO_NOTCANCELED) return kNotCanceled;
  return kAllDone;
}

// Of two cancel outcomes, the one that tells the caller the most.
int Combine(int a, int b) {
  if (a < 0) return a;
  if (b < 0) return b;
  if (a == kNotCanceled || b == kNotCanceled) return kNotCanceled;
  if (a == kCanceled || b == kCanceled) return kCanceled;
  return kAllDone;
}

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
      : Engine(sink), pool_(loop, sink), chunk_size_(DetectChunkSize()) {}

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
    if (!syncs.empty()) {
      QueueSyncs(syncs.data(), syncs.size());
      pool_.Queue(syncs.data(), syncs.size(), WaitForSyncs, this, false);
    }
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
      list.clear();
      for (size_t j = 0; j < n; ++j) {
        Prepare(*listio[i + j]);
        list.push_back(&listio[i + j]->aiocb);
      }
      int submit_errno = 0;
      if (lio_listio(LIO_WAIT, list.data(), static_cast<int>(n), nullptr) !=
              0 &&
          errno != EIO) {
        submit_errno = errno;  // EIO only says some request failed
      }
      // LIO_WAIT can return early on a signal; finish waiting here.
      WaitAll(listio.data() + i, n);
      for (size_t j = 0; j < n; ++j) Collect(*listio[i + j], submit_errno);
    }
    if (!syncs.empty()) {
      for (Op* op : syncs) QueueOneSync(*op);
      WaitAll(syncs.data(), syncs.size());
      for (Op* op : syncs) {
        if (op->result == 0) Collect(*op, 0);
      }
    }
  }

  int Cancel(int fd, Op* op) override {
    if (op == nullptr) {
      int aio = FromAioCancel(aio_cancel(fd, nullptr));
      return Combine(aio, pool_.Cancel(fd, nullptr));
    }
    if (GoesToLioListio(*op) || IsSync(*op)) {
      return FromAioCancel(aio_cancel(fd, &op->aiocb));
    }
    return pool_.Cancel(fd, op);
  }

  void Shutdown() override {
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& entry : fds_in_flight_) fds.push_back(entry.first);
    }
    for (int fd : fds) aio_cancel(fd, nullptr);  // best effort; we wait anyway
    {
      std::unique_lock<std::mutex> lock(mutex_);
      idle_.wait(lock, [this] { return chunks_in_flight_ == 0; });
    }
    pool_.Drain();
  }

 private:
  // A chunk is finished by whichever of two parties comes second: the
  // notification, and the submitting thread once lio_listio has returned
  // and its error is recorded. glibc may notify before lio_listio returns
  // (at once, from a new thread, when it could queue nothing: EAGAIN), so
  // the notification alone could free the chunk under the submitter, or
  // collect the ops before learning that they were never queued.
  struct Chunk {
    PosixEngine* engine;
    std::vector<Op*> ops;
    int submit_errno;
    std::atomic<int> parties{2};
  };


  void Track(Op* const* ops, size_t count, int delta) {
    for (size_t i = 0; i < count; ++i) {
      if (ops[i]->code == OpCode::kNop) continue;
      int fd = ops[i]->fd;
      if ((fds_in_flight_[fd] += delta) == 0) fds_in_flight_.erase(fd);
    }
  }

  void SubmitChunk(Op* const* ops, size_t count) {
    auto* chunk = new Chunk{this, std::vector<Op*>(ops, ops + count), 0};
    std::vector<struct aiocb*> list(count);
    for (size_t i = 0; i < count; ++i) {
      Prepare(*ops[i]);
      list[i] = &ops[i]->aiocb;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++chunks_in_flight_;
      Track(ops, count, +1);
    }
    struct sigevent done {};
    done.sigev_notify = SIGEV_THREAD;
    done.sigev_notify_function = OnChunkDone;
    done.sigev_value.sival_ptr = chunk;
    // On failure glibc still notifies once for the chunk (immediately when
    // nothing was queued), and the requests it could not queue carry their
    // error; so the notification is always the single place ops finish.
    if (lio_listio(LIO_NOWAIT, list.data(), static_cast<int>(count), &done) !=
            0 &&
        errno != EIO) {
      chunk->submit_errno = errno;
    }
    ChunkDone(chunk);
  }

  static void OnChunkDone(union sigval value) {
    ChunkDone(static_cast<Chunk*>(value.sival_ptr));
  }

  // Once from each party; the second collects and delivers the ops.
  static void ChunkDone(Chunk* chunk) {
    if (chunk->parties.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    PosixEngine* self = chunk->engine;
    std::vector<Op*> ops = std::move(chunk->ops);
    int submit_errno = chunk->submit_errno;
    delete chunk;
    for (Op* op : ops) Collect(*op, submit_errno);
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->Track(ops.data(), ops.size(), -1);
    }
    self->sink_.Complete(ops.data(), ops.size());
    // Last touch of the engine: Shutdown may destroy it once this is seen.
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (--self->chunks_in_flight_ == 0) self->idle_.notify_all();
  }

  static void QueueOneSync(Op& op) {
    Prepare(op);
    int how = op.code == OpCode::kFsync ? O_SYNC : O_DSYNC;
    if (aio_fsync(how, &op.aiocb) != 0) op.result = -errno;
  }

  void QueueSyncs(Op* const* ops, size_t count) {
    for (size_t i = 0; i < count; ++i) QueueOneSync(*ops[i]);
    std::lock_guard<std::mutex> lock(mutex_);
    Track(ops, count, +1);
  }

  // Pool job: waits for a batch of aio_fsync requests, then collects them.
  static void WaitForSyncs(void* context, Op* const* ops, size_t count) {
    auto* self = static_cast<PosixEngine*>(context);
    WaitAll(ops, count);
    for (size_t i = 0; i < count; ++i) {
      if (ops[i]->result == 0) Collect(*ops[i], 0);
    }
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->Track(ops, count, -1);
  }

  PoolWork pool_;
  const size_t chunk_size_;
  std::mutex mutex_;
  std::condition_variable idle_;
  size_t chunks_in_flight_ = 0;                   // guarded by mutex_
  std::unordered_map<int, int> fds_in_flight_;    // guarded by mutex_
};

}  // namespace

std::unique_ptr<Engine> MakePosixEngine(uv_loop_t* loop, CompletionSink& sink,
                                        std::string*) {
  return std::make_unique<PosixEngine>(loop, sink);
}

}  // namespace posix_aio
