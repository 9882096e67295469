// io_uring mechanics through raw syscalls (no liburing): the ring as one
// plain struct, set up apart from submitting and reaping, as liburing's
// setup.c / queue.c split them. No policy here: what goes into the ring,
// and when, is engine_uring.cc's.
#pragma once

#include <linux/io_uring.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace posix_aio {

struct Ring {
  int fd = -1;
  unsigned features = 0;

  void* sq_ring = nullptr;
  size_t sq_ring_size = 0;
  void* cq_ring = nullptr;
  size_t cq_ring_size = 0;
  io_uring_sqe* sqes = nullptr;
  size_t sqes_size = 0;

  unsigned* sq_head = nullptr;
  unsigned* sq_tail = nullptr;
  unsigned* sq_array = nullptr;
  unsigned* sq_flags = nullptr;
  unsigned sq_mask = 0;
  unsigned sq_entries = 0;
  unsigned sqe_tail = 0;  // next SQE to fill; the kernel sees it at RingEnter

  unsigned* cq_head = nullptr;
  unsigned* cq_tail = nullptr;
  io_uring_cqe* cqes = nullptr;
  unsigned cq_mask = 0;
  unsigned cq_entries = 0;
};

// Linux moves at most this much in one read or write (MAX_RW_COUNT); a
// longer op is a short transfer, which the high-level calls finish.
constexpr size_t kMaxTransfer = 0x7ffff000;

// An SQE's offset for a file position; -1, the current position, stays -1
// (IORING_FEAT_RW_CUR_POS).
inline uint64_t SqeOffset(int64_t position) {
  return position < 0 ? static_cast<uint64_t>(-1) : static_cast<uint64_t>(position);
}

// Creates and maps a ring of `entries` with the best setup flags this
// kernel takes; false, with the reason, when it refuses (EPERM in
// containers, ENOSYS, io_uring_disabled).
bool RingSetup(Ring* ring, unsigned entries, std::string* why);
// Unmaps and closes; safe on a ring that was never set up.
void RingClose(Ring* ring);

int RingRegister(const Ring& ring, unsigned opcode, void* arg, unsigned count);

// Fills supported[opcode] from IORING_REGISTER_PROBE.
bool RingProbe(const Ring& ring, bool supported[256], std::string* why);

// SQEs free to fill.
unsigned RingFreeSqes(const Ring& ring);
// SQEs filled that the kernel has not taken yet.
bool RingHasUnsubmitted(const Ring& ring);
// The next SQE, zeroed, or null when the SQ is full.
io_uring_sqe* RingNextSqe(Ring* ring);

// Hands the filled SQEs to the kernel and, with GETEVENTS, runs the task
// work that posts completions; waits for `min_complete` of them. Returns
// SQEs consumed, or -errno (EAGAIN/EBUSY: try again later).
int RingEnter(Ring* ring, unsigned min_complete);

// Completions posted and not yet taken.
unsigned RingReady(const Ring& ring);
// The CQE `i` places past the head (i < RingReady).
const io_uring_cqe& RingCqe(const Ring& ring, unsigned i);
// Gives `count` CQEs back to the kernel.
void RingAdvance(Ring* ring, unsigned count);
// Completions the CQ had no room for wait in the kernel (NODROP): true if
// there are some; RingFlushOverflow asks for them.
bool RingOverflowed(const Ring& ring);
void RingFlushOverflow(Ring* ring);

}  // namespace posix_aio
