// The io_uring engine (Linux): its policy. The ring itself is uring_ring.cc,
// AIO.write's linked chains of SQEs uring_chain.cc.
//
// One ring per env, created and used only on the env's loop thread (which is
// what IORING_SETUP_SINGLE_ISSUER asks for). Submitted ops become SQEs at
// once, but io_uring_enter runs once per loop turn, from a prepare handle
// just before libuv would block: every op submitted during the turn reaches
// the kernel in one syscall. Completions are reaped on the loop thread when
// the ring's registered eventfd polls readable, and handed straight to JS
// (CompletionSink::Deliver): no thread hop and no wake-up.
//
// Nothing caps the requests in the kernel at the CQ ring's size: reads of
// pipes and sockets can pend forever, and a cap would let them shut out all
// other IO. The ring needs IORING_FEAT_NODROP instead (as libuv's does): a
// completion the CQ has no room for waits in the kernel until it is reaped.
// Ops wait in a backlog only while the SQ is full or a kWriteFile chain has
// no direct-descriptor slot. Ops the kernel has no opcode for
// (per IORING_REGISTER_PROBE), and AIO.write's files that end without a sync
// (see Maps), run on libuv's pool instead.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine.h"
#include "pool_work.h"
#include "uring_chain.h"
#include "uring_ring.h"

namespace posix_aio {

namespace {

constexpr unsigned kRingEntries = 1024;
// Completions reach JS this many at a time while the rest of a burst waits
// (see OnPoll). A device that finishes a whole queue of requests at once
// (virtio does) otherwise idles until JS has answered every one of them.
constexpr unsigned kDeliverySlice = 4;

// A cancel request's user_data points at one of these, tagged in bit 0 (ops
// are pointer-aligned, so their bit 0 is always clear).
struct CancelRequest {
  int result = 0;
  bool done = false;
};
constexpr uint64_t kCancelTag = 1;

// Whether a read or write at the current position of `fd` must answer
// EAGAIN rather than wait: a non-blocking pipe, socket or tty, where
// read(2) and write(2) (so fs and the other engines) do. io_uring waits for
// room or data in the kernel, and refuses RWF_NOWAIT on a FIFO
// (EOPNOTSUPP), so those go to the pool's plain syscalls. Regular files and
// block devices ignore O_NONBLOCK. A failed fcntl or fstat (a bad
// descriptor) leaves the op to the ring: it fails by itself. Only ops at
// the current position ask (a positioned op is a file's, and asking would
// cost every random read two syscalls): one at a position on such a pipe
// still waits in the kernel.
bool AnswersEagain(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK) == 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
}

// The ops of one submitted chunk, delivered together when the last is done.
struct Chunk {
  size_t remaining;
  std::vector<Op*> done;
};

class UringEngine final : public Engine {
 public:
  UringEngine(uv_loop_t* loop, CompletionSink& sink)
      : Engine(sink), loop_(loop), pool_(loop, sink) {}

  ~UringEngine() override {
    RingClose(&ring_);
    if (event_fd_ >= 0) close(event_fd_);
  }

  bool Start(std::string* why) {
    if (!RingSetup(&ring_, kRingEntries, why) || !RingProbe(ring_, supported_, why)) {
      return false;
    }
    if ((ring_.features & IORING_FEAT_NODROP) == 0) {
      *why = "no IORING_FEAT_NODROP (Linux 5.5)";
      return false;
    }
    // Chains need a sparse file table (Linux 5.19); without it kWriteFile
    // runs on the pool instead.
    chains_.Start(ring_, supported_);

    // Completions are watched through a registered eventfd, which the
    // kernel signals as it posts them.
    event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0) return Fail(why, "eventfd");
    if (RingRegister(ring_, IORING_REGISTER_EVENTFD, &event_fd_, 1) != 0) {
      return Fail(why, "IORING_REGISTER_EVENTFD");
    }

    uv_prepare_init(loop_, &prepare_);
    uv_poll_init(loop_, &poll_, event_fd_);
    uv_idle_init(loop_, &idle_);
    prepare_.data = poll_.data = idle_.data = this;
    handles_open_ = 3;
    uv_prepare_start(&prepare_, OnPrepare);
    uv_poll_start(&poll_, UV_READABLE, OnPoll);
    // The glue keeps the loop alive while ops are in flight; these handles
    // alone must not.
    uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
    uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));
    return true;
  }

  const char* Name() const override { return "io_uring"; }
  size_t ChunkSize() const override { return ring_.sq_entries; }

  void Submit(Op* const* ops, size_t count, bool together) override {
    std::vector<Op*> blocking;
    std::vector<Op*> mapped;
    for (size_t i = 0; i < count; ++i) {
      (Maps(*ops[i]) ? mapped : blocking).push_back(ops[i]);
    }
    // Together, each chunk reaches JS in one piece, as lio_listio's does.
    for (size_t i = 0; i < mapped.size(); i += ring_.sq_entries) {
      size_t n = std::min<size_t>(ring_.sq_entries, mapped.size() - i);
      auto* chunk = together ? new Chunk{n, {}} : nullptr;
      for (size_t j = i; j < i + n; ++j) {
        mapped[j]->engine_data = chunk;
        Push(mapped[j]);
      }
    }
    pool_.QueueEach(blocking.data(), blocking.size(), together);
    // io_uring_enter happens in OnPrepare, once for the whole loop turn.
  }

  void SubmitWait(Op* const* ops, size_t count) override {
    std::unordered_set<Op*> waiting;
    for (size_t i = 0; i < count; ++i) {
      Op* op = ops[i];
      if (!Maps(*op)) {
        RunBlocking(*op);
        continue;
      }
      // Straight into the ring (not behind the backlog): make room first.
      while (!TryPrepare(op)) WaitForSome(&waiting);
      waiting.insert(op);
    }
    while (!waiting.empty()) WaitForSome(&waiting);
  }

  int Cancel(Op* op) override {
    // An op still in the backlog never reached the kernel: just drop it.
    auto queued = std::find(backlog_.begin(), backlog_.end(), op);
    if (queued != backlog_.end()) {
      backlog_.erase(queued);
      op->result = -ECANCELED;
      std::vector<Op*> done;
      Finished(op, &done);
      if (!done.empty()) sink_.Complete(done.data(), done.size());
      return kCanceled;
    }
    if (in_kernel_.count(op) != 0) {
      CancelRequest request;
      QueueCancel(op, &request);
      while (!request.done) WaitForSome(nullptr);
      // 0: canceled; -ENOENT: it had finished; -EALREADY: it is running.
      return request.result == 0           ? kCanceled
             : request.result == -EALREADY ? kNotCanceled
                                           : kAllDone;
    }
    return pool_.Cancel(op);
  }

  void Drive() override {
    // GETEVENTS runs the task work that posts completions (COOP_TASKRUN).
    RingEnter(&ring_, 0);
    std::vector<Op*> done;
    Reap(&done);
    RefillFromBacklog();
    if (RingHasUnsubmitted(ring_)) RingEnter(&ring_, 0);
    if (!done.empty()) sink_.Complete(done.data(), done.size());
  }

  void Shutdown() override {
    shutting_down_ = true;
    // The backlog never reached the kernel: dropped, but for closes, which
    // are never canceled (a close does not block: it runs here).
    std::vector<Op*> dropped;
    for (Op* op : backlog_) {
      if (op->kind == OpKind::kClose) {
        RunBlocking(*op);
      } else {
        op->result = -ECANCELED;
      }
      Finished(op, &dropped);
    }
    backlog_.clear();
    if (!dropped.empty()) sink_.Complete(dropped.data(), dropped.size());
    // Cancel what the kernel holds (closes aside), then wait for every
    // completion: after this no request can touch a buffer.
    // A copy: queueing a cancel may reap, which changes in_kernel_.
    std::vector<Op*> targets;
    for (Op* op : in_kernel_) {
      if (op->kind != OpKind::kClose) targets.push_back(op);
    }
    std::vector<CancelRequest> requests(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) QueueCancel(targets[i], &requests[i]);
    while (owed_ > 0) WaitForSome(nullptr);

    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_), OnClosed);
    while (handles_open_ > 0) uv_run(loop_, UV_RUN_NOWAIT);
    pool_.Drain();
  }

 private:
  static bool Fail(std::string* why, const char* what) {
    *why = std::string(what) + ": " + std::strerror(errno);
    return false;
  }

  bool Maps(const Op& op) const {
    int opcode = TraitsOf(op.kind).uring_opcode;
    if (opcode < 0 || !supported_[opcode]) return false;
    // kWriteFile chains pay where a file ends in a sync: io-wq runs more of
    // them at once than the pool has threads. Without a sync a file is a
    // create and a page-cache copy, all CPU, and the pool's plain syscalls
    // were faster than chains, in C as well as from here: io-wq spends more
    // per request and the loop is woken per completion. So those run on the
    // pool.
    if (op.kind == OpKind::kWriteFile) return chains_.Usable() && op.sync != 0;
    // "The current position" needs IORING_FEAT_RW_CUR_POS.
    bool vector = op.kind == OpKind::kReadv || op.kind == OpKind::kWritev;
    if ((IsTransfer(op.kind) || vector) && op.position < 0) {
      return (ring_.features & IORING_FEAT_RW_CUR_POS) != 0 && !AnswersEagain(op.fd);
    }
    return true;
  }

  // SQEs (and so CQEs) an op takes: a kWriteFile is a linked chain.
  static unsigned SqesFor(const Op& op) {
    return op.kind == OpKind::kWriteFile ? FileChains::SqesFor(op) : 1;
  }

  // A free SQE; a full SQ is handed to the kernel first, never dropped.
  io_uring_sqe* NextSqe() {
    io_uring_sqe* sqe = RingNextSqe(&ring_);
    if (sqe == nullptr) {
      RingEnter(&ring_, 0);
      sqe = RingNextSqe(&ring_);
    }
    return sqe;
  }

  // Prepares `op` if the SQ has room for all of it (a chain's SQEs must go
  // in together), else returns false and changes nothing.
  bool TryPrepare(Op* op) {
    unsigned needed = SqesFor(*op);
    if (RingFreeSqes(ring_) < needed) {
      RingEnter(&ring_, 0);
      if (RingFreeSqes(ring_) < needed) return false;
    }
    if (op->kind != OpKind::kWriteFile) {
      Prepare(NextSqe(), *op);
      return true;
    }
    if (!chains_.Prepare(*op, &ring_)) return false;  // no slot free
    owed_ += needed;
    in_kernel_.insert(op);
    return true;
  }

  void Prepare(io_uring_sqe* sqe, Op& op) {
    sqe->opcode = static_cast<uint8_t>(TraitsOf(op.kind).uring_opcode);
    sqe->fd = op.fd;
    switch (op.kind) {
      case OpKind::kRead:
      case OpKind::kWrite:
        sqe->addr = reinterpret_cast<uint64_t>(op.data);
        sqe->len = static_cast<uint32_t>(std::min(op.length, kMaxTransfer));
        sqe->off = SqeOffset(op.position);
        break;
      case OpKind::kReadv:
      case OpKind::kWritev:
        // The iovec array lives in the op, which outlives the request.
        sqe->addr = reinterpret_cast<uint64_t>(op.iov.data());
        sqe->len = static_cast<uint32_t>(op.iov.size());
        sqe->off = SqeOffset(op.position);
        break;
      case OpKind::kFdatasync:
        sqe->fsync_flags = IORING_FSYNC_DATASYNC;
        break;
      case OpKind::kOpen:
        sqe->fd = AT_FDCWD;
        sqe->addr = reinterpret_cast<uint64_t>(op.path.c_str());
        sqe->len = static_cast<uint32_t>(op.mode);
        sqe->open_flags = static_cast<uint32_t>(op.flags | O_CLOEXEC);
        break;
      case OpKind::kFstatSize: {
        auto& buffer = statx_[&op];
        buffer.reset(new struct statx());
        sqe->addr = reinterpret_cast<uint64_t>("");
        sqe->len = STATX_TYPE | STATX_SIZE;
        sqe->statx_flags = AT_EMPTY_PATH;
        sqe->off = reinterpret_cast<uint64_t>(buffer.get());
        break;
      }
      default:
        break;
    }
    sqe->user_data = reinterpret_cast<uint64_t>(&op);
    ++owed_;
    in_kernel_.insert(&op);
  }

  // Into the ring if there is room, else the backlog (kept in order).
  void Push(Op* op) {
    if (!backlog_.empty() || !TryPrepare(op)) backlog_.push_back(op);
  }

  void RefillFromBacklog() {
    while (!backlog_.empty() && TryPrepare(backlog_.front())) {
      backlog_.pop_front();
    }
  }

  // Takes every posted completion off the CQ ring.
  void Reap(std::vector<Op*>* done) { ReapSome(done, ~0u); }

  // Takes at most `limit` completions off the CQ ring; true if more remain.
  bool ReapSome(std::vector<Op*>* done, unsigned limit) {
    for (;;) {
      unsigned ready = std::min(RingReady(ring_), limit);
      for (unsigned i = 0; i < ready; ++i) TakeCqe(RingCqe(ring_, i), done);
      RingAdvance(&ring_, ready);
      if (RingReady(ring_) > 0) return true;
      if (!RingOverflowed(ring_)) return false;
      RingFlushOverflow(&ring_);
    }
  }

  void TakeCqe(const io_uring_cqe& cqe, std::vector<Op*>* done) {
    --owed_;
    if (cqe.user_data & kCancelTag) {
      auto* request = reinterpret_cast<CancelRequest*>(cqe.user_data & ~kCancelTag);
      request->result = cqe.res;
      request->done = true;
      return;
    }
    Op* op = FileChains::OpOf(cqe.user_data);
    if (op->kind == OpKind::kWriteFile && !chains_.StepDone(*op, cqe.user_data, cqe.res)) {
      return;
    }
    in_kernel_.erase(op);
    if (op->kind != OpKind::kWriteFile) op->result = cqe.res;
    if (op->kind == OpKind::kFstatSize) {
      auto found = statx_.find(op);
      const struct statx& st = *found->second;
      if (cqe.res == 0) op->result = S_ISREG(st.stx_mode) ? st.stx_size : 0;
      statx_.erase(found);
    }
    // Final now, though a chunk reaches the sink only with its last op.
    MarkFinished(*op);
    Finished(op, done);
  }

  // Asks the kernel to cancel `target`; the answer lands in `request`.
  void QueueCancel(Op* target, CancelRequest* request) {
    io_uring_sqe* sqe;
    while ((sqe = NextSqe()) == nullptr) WaitForSome(nullptr);
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = reinterpret_cast<uint64_t>(target);
    sqe->user_data = reinterpret_cast<uint64_t>(request) | kCancelTag;
    ++owed_;
  }

  // An op is done: it joins its chunk, and the chunk's ops go to `done`
  // once the last of them is. Ops of a LIO_WAIT have no chunk.
  static void Finished(Op* op, std::vector<Op*>* done) {
    auto* chunk = static_cast<Chunk*>(op->engine_data);
    op->engine_data = nullptr;
    if (chunk == nullptr) {
      done->push_back(op);
      return;
    }
    chunk->done.push_back(op);
    if (--chunk->remaining > 0) return;
    done->insert(done->end(), chunk->done.begin(), chunk->done.end());
    delete chunk;
  }

  // Inside a call from JS (LIO_WAIT, cancel) or at teardown: blocks for at
  // least one completion. Ops it reaps that the caller is not waiting for
  // are queued for delivery (JS cannot be re-entered from here).
  void WaitForSome(std::unordered_set<Op*>* waiting) {
    int rc = RingEnter(&ring_, 1);
    if (rc < 0 && rc != -EAGAIN && rc != -EBUSY) {
      // Nothing sensible left but to retry; do not spin the CPU.
      usleep(1000);
    }
    std::vector<Op*> done;
    Reap(&done);
    std::vector<Op*> others;
    for (Op* op : done) {
      if (waiting && waiting->erase(op)) continue;
      others.push_back(op);
    }
    if (!others.empty()) sink_.Complete(others.data(), others.size());
    if (!shutting_down_) RefillFromBacklog();
  }

  // Loop thread, before libuv blocks: one io_uring_enter for the turn.
  static void OnPrepare(uv_prepare_t* handle) {
    auto* self = static_cast<UringEngine*>(handle->data);
    if (RingHasUnsubmitted(self->ring_)) {
      // The kernel is busy (EAGAIN/EBUSY): keep the loop from blocking so
      // the next turn tries again.
      if (RingEnter(&self->ring_, 0) < 0) {
        uv_idle_start(&self->idle_, OnIdle);
        return;
      }
    }
    uv_idle_stop(&self->idle_);
  }

  static void OnIdle(uv_idle_t*) {}

  static void OnPoll(uv_poll_t* handle, int, int) {
    auto* self = static_cast<UringEngine*>(handle->data);
    uint64_t signals;
    // Reset the eventfd first, so a completion posted after the reap below
    // makes it readable again. EAGAIN (already reset) is fine.
    if (read(self->event_fd_, &signals, sizeof(signals)) < 0 && errno != EAGAIN) {
      return;
    }
    // Only what is posted now: completions that arrive meanwhile wait for
    // the next loop turn (the eventfd says so), and other handles get theirs.
    unsigned budget = RingReady(self->ring_);
    unsigned slice = kDeliverySlice;
    std::vector<Op*> done;
    while (budget > 0) {
      done.clear();
      unsigned take = std::min(slice, budget);
      budget = self->ReapSome(&done, take) ? budget - take : 0;
      self->RefillFromBacklog();
      if (!done.empty()) self->sink_.Deliver(done.data(), done.size());
      if (budget == 0 || !RingHasUnsubmitted(self->ring_)) continue;
      // What JS queued in answer goes to the kernel now, not at the end of
      // the turn, so the device is busy again while JS handles the rest.
      unsigned posted = RingReady(self->ring_);
      RingEnter(&self->ring_, 0);
      // New completions at once: the kernel finished requests inline (page
      // cache) and slicing only adds syscalls. The rest goes in one piece.
      if (RingReady(self->ring_) != posted) slice = ~0u;
    }
  }

  static void OnClosed(uv_handle_t* handle) {
    --static_cast<UringEngine*>(handle->data)->handles_open_;
  }

  uv_loop_t* loop_;
  PoolWork pool_;  // ops the kernel has no opcode for; unsynced kWriteFile
  Ring ring_;
  int event_fd_ = -1;
  bool supported_[256] = {};

  unsigned owed_ = 0;  // completions the kernel owes us (ops and cancels)
  std::unordered_set<Op*> in_kernel_;
  std::deque<Op*> backlog_;  // submitted, waiting for SQ room or a slot
  std::unordered_map<Op*, std::unique_ptr<struct statx>> statx_;
  FileChains chains_;
  bool shutting_down_ = false;

  uv_prepare_t prepare_;
  uv_poll_t poll_;
  uv_idle_t idle_;
  int handles_open_ = 0;
};

}  // namespace

std::unique_ptr<Engine> MakeUringEngine(uv_loop_t* loop, CompletionSink& sink,
                                        std::string* why) {
  auto engine = std::make_unique<UringEngine>(loop, sink);
  if (!engine->Start(why)) return nullptr;
  return engine;
}

}  // namespace posix_aio
