#include "uring_ring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace posix_aio {

namespace {

int Setup(unsigned entries, io_uring_params* params) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, params));
}

int Enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, to_submit,
                                  min_complete, flags, nullptr, 0));
}

template <typename T>
T LoadAcquire(const T* where) {
  return __atomic_load_n(where, __ATOMIC_ACQUIRE);
}

template <typename T>
void StoreRelease(T* where, T value) {
  __atomic_store_n(where, value, __ATOMIC_RELEASE);
}

// Setup flags to try, best first; each is dropped when the kernel says
// EINVAL (an older kernel that does not know it). Not DEFER_TASKRUN: with it
// the task work that issues the next request of a linked chain (kWriteFile)
// waits for an io_uring_enter and signals no eventfd, so a loop asleep in
// epoll never gets there and the chain stalls (seen on Linux 6.18).
constexpr unsigned kFlagChoices[] = {
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
        IORING_SETUP_COOP_TASKRUN,
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
    IORING_SETUP_SUBMIT_ALL,
    0,
};

bool Fail(std::string* why, const char* what) {
  *why = std::string(what) + ": " + std::strerror(errno);
  return false;
}

void* Map(int fd, size_t size, off_t what) {
  void* at = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_POPULATE, fd, what);
  return at == MAP_FAILED ? nullptr : at;
}

bool MapRings(Ring* ring, const io_uring_params& params, std::string* why) {
  ring->sq_ring_size = params.sq_off.array + params.sq_entries * sizeof(unsigned);
  ring->cq_ring_size = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
  bool single = (params.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) {
    ring->sq_ring_size = ring->cq_ring_size =
        std::max(ring->sq_ring_size, ring->cq_ring_size);
  }
  ring->sq_ring = Map(ring->fd, ring->sq_ring_size, IORING_OFF_SQ_RING);
  if (ring->sq_ring == nullptr) return Fail(why, "mmap(sq ring)");
  ring->cq_ring = single ? ring->sq_ring
                         : Map(ring->fd, ring->cq_ring_size, IORING_OFF_CQ_RING);
  if (ring->cq_ring == nullptr) return Fail(why, "mmap(cq ring)");
  ring->sqes_size = params.sq_entries * sizeof(io_uring_sqe);
  ring->sqes = static_cast<io_uring_sqe*>(Map(ring->fd, ring->sqes_size, IORING_OFF_SQES));
  if (ring->sqes == nullptr) return Fail(why, "mmap(sqes)");

  auto* sq = static_cast<char*>(ring->sq_ring);
  ring->sq_head = reinterpret_cast<unsigned*>(sq + params.sq_off.head);
  ring->sq_tail = reinterpret_cast<unsigned*>(sq + params.sq_off.tail);
  ring->sq_mask = *reinterpret_cast<unsigned*>(sq + params.sq_off.ring_mask);
  ring->sq_array = reinterpret_cast<unsigned*>(sq + params.sq_off.array);
  ring->sq_flags = reinterpret_cast<unsigned*>(sq + params.sq_off.flags);
  ring->sq_entries = params.sq_entries;
  ring->sqe_tail = *ring->sq_tail;

  auto* cq = static_cast<char*>(ring->cq_ring);
  ring->cq_head = reinterpret_cast<unsigned*>(cq + params.cq_off.head);
  ring->cq_tail = reinterpret_cast<unsigned*>(cq + params.cq_off.tail);
  ring->cq_mask = *reinterpret_cast<unsigned*>(cq + params.cq_off.ring_mask);
  ring->cqes = reinterpret_cast<io_uring_cqe*>(cq + params.cq_off.cqes);
  ring->cq_entries = params.cq_entries;
  return true;
}

}  // namespace

bool RingSetup(Ring* ring, unsigned entries, std::string* why) {
  io_uring_params params{};
  for (unsigned flags : kFlagChoices) {
    params = {};
    params.flags = flags;
    ring->fd = Setup(entries, &params);
    if (ring->fd >= 0 || errno != EINVAL) break;
  }
  if (ring->fd < 0) return Fail(why, "io_uring_setup");
  ring->features = params.features;
  return MapRings(ring, params, why);
}

void RingClose(Ring* ring) {
  if (ring->sq_ring != nullptr) munmap(ring->sq_ring, ring->sq_ring_size);
  if (ring->cq_ring != nullptr && ring->cq_ring != ring->sq_ring) {
    munmap(ring->cq_ring, ring->cq_ring_size);
  }
  if (ring->sqes != nullptr) munmap(ring->sqes, ring->sqes_size);
  if (ring->fd >= 0) close(ring->fd);
  *ring = Ring();
}

int RingRegister(const Ring& ring, unsigned opcode, void* arg, unsigned count) {
  return static_cast<int>(syscall(__NR_io_uring_register, ring.fd, opcode, arg, count));
}

// A kernel without the probe (before 5.6) also lacks most of the opcodes
// the engine needs: not worth running.
bool RingProbe(const Ring& ring, bool supported[256], std::string* why) {
  size_t size = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  std::unique_ptr<char[]> storage(new char[size]());
  auto* probe = reinterpret_cast<io_uring_probe*>(storage.get());
  if (RingRegister(ring, IORING_REGISTER_PROBE, probe, 256) != 0) {
    return Fail(why, "IORING_REGISTER_PROBE");
  }
  for (unsigned i = 0; i < probe->ops_len && i < 256; ++i) {
    supported[probe->ops[i].op] = (probe->ops[i].flags & IO_URING_OP_SUPPORTED) != 0;
  }
  return true;
}

unsigned RingFreeSqes(const Ring& ring) {
  return ring.sq_entries - (ring.sqe_tail - LoadAcquire(ring.sq_head));
}

bool RingHasUnsubmitted(const Ring& ring) {
  return ring.sqe_tail != LoadAcquire(ring.sq_head);
}

io_uring_sqe* RingNextSqe(Ring* ring) {
  if (RingFreeSqes(*ring) == 0) return nullptr;
  unsigned index = ring->sqe_tail & ring->sq_mask;
  io_uring_sqe* sqe = &ring->sqes[index];
  std::memset(sqe, 0, sizeof(*sqe));
  ring->sq_array[index] = index;
  ++ring->sqe_tail;
  return sqe;
}

int RingEnter(Ring* ring, unsigned min_complete) {
  StoreRelease(ring->sq_tail, ring->sqe_tail);
  for (;;) {
    unsigned to_submit = ring->sqe_tail - LoadAcquire(ring->sq_head);
    int rc = Enter(ring->fd, to_submit, min_complete, IORING_ENTER_GETEVENTS);
    if (rc >= 0) return rc;
    if (errno != EINTR) return -errno;
  }
}

unsigned RingReady(const Ring& ring) {
  return LoadAcquire(ring.cq_tail) - *ring.cq_head;
}

const io_uring_cqe& RingCqe(const Ring& ring, unsigned i) {
  return ring.cqes[(*ring.cq_head + i) & ring.cq_mask];
}

void RingAdvance(Ring* ring, unsigned count) {
  StoreRelease(ring->cq_head, *ring->cq_head + count);
}

bool RingOverflowed(const Ring& ring) {
  return (LoadAcquire(ring.sq_flags) & IORING_SQ_CQ_OVERFLOW) != 0;
}

void RingFlushOverflow(Ring* ring) {
  Enter(ring->fd, 0, 0, IORING_ENTER_GETEVENTS);
}

}  // namespace posix_aio
