#include "uring_chain.h"

#include <fcntl.h>

#include <algorithm>
#include <iterator>

namespace posix_aio {

namespace {

// Slots in the file table: chains in the kernel at once. A chain with no
// slot waits in the engine's backlog.
constexpr unsigned kFileSlots = 1024;

constexpr uint8_t kChainOpcodes[] = {IORING_OP_OPENAT, IORING_OP_WRITE,
                                     IORING_OP_FSYNC, IORING_OP_CLOSE};

}  // namespace

void FileChains::Start(const Ring& ring, const bool supported[256]) {
  io_uring_rsrc_register files{};
  files.nr = kFileSlots;
  files.flags = IORING_RSRC_REGISTER_SPARSE;
  if (RingRegister(ring, IORING_REGISTER_FILES2, &files, sizeof(files)) != 0) return;
  for (unsigned slot = kFileSlots; slot > 0; --slot) free_slots_.push_back(slot - 1);
  usable_ = std::all_of(std::begin(kChainOpcodes), std::end(kChainOpcodes),
                        [&](uint8_t opcode) { return supported[opcode]; });
}

// OPENAT into the slot, then WRITE, [FSYNC], CLOSE. A failed open cancels
// the rest; after that the links are hard, so a failed or short write still
// syncs and closes. The open is step 0: its user_data is the op's address
// itself, which is what a cancel names.
bool FileChains::Prepare(Op& op, Ring* ring) {
  unsigned steps = SqesFor(op);
  if (free_slots_.empty() || RingFreeSqes(*ring) < steps) return false;
  Chain& chain = in_flight_[&op];
  chain.slot = free_slots_.back();
  free_slots_.pop_back();
  chain.remaining = steps;
  uint64_t self = reinterpret_cast<uint64_t>(&op);
  auto step = [&](WriteFileStep which, uint8_t opcode, uint8_t link) {
    io_uring_sqe* sqe = RingNextSqe(ring);  // there is room, checked above
    sqe->opcode = opcode;
    sqe->flags = link;
    sqe->user_data = self | (static_cast<uint64_t>(which) << kStepShift);
    return sqe;
  };
  io_uring_sqe* open = step(WriteFileStep::kOpen, IORING_OP_OPENAT, IOSQE_IO_LINK);
  open->fd = AT_FDCWD;
  open->addr = reinterpret_cast<uint64_t>(op.path.c_str());
  open->len = static_cast<uint32_t>(op.mode);
  open->open_flags = static_cast<uint32_t>(op.flags);
  open->file_index = chain.slot + 1;
  io_uring_sqe* write = step(WriteFileStep::kWrite, IORING_OP_WRITE,
                             IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK);
  write->fd = static_cast<int>(chain.slot);
  write->addr = reinterpret_cast<uint64_t>(op.data);
  write->len = static_cast<uint32_t>(std::min(op.length, kMaxTransfer));
  write->off = SqeOffset(op.position);
  if (op.sync != 0) {
    io_uring_sqe* sync = step(WriteFileStep::kSync, IORING_OP_FSYNC,
                              IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK);
    sync->fd = static_cast<int>(chain.slot);
    if (op.sync == 1) sync->fsync_flags = IORING_FSYNC_DATASYNC;
  }
  io_uring_sqe* close = step(WriteFileStep::kClose, IORING_OP_CLOSE, 0);
  close->file_index = chain.slot + 1;
  return true;
}

bool FileChains::StepDone(Op& op, uint64_t user_data, int res) {
  auto found = in_flight_.find(&op);
  Chain& chain = found->second;
  chain.results[(user_data & kStepMask) >> kStepShift] = res;
  if (--chain.remaining > 0) return false;
  const int* r = chain.results;
  if (r[0] < 0) {
    op.result = WriteFileFailure(WriteFileStep::kOpen, r[0]);
  } else if (r[1] < 0) {
    op.result = WriteFileFailure(WriteFileStep::kWrite, r[1]);
  } else if (op.sync != 0 && r[2] < 0) {
    op.result = WriteFileFailure(WriteFileStep::kSync, r[2]);
  } else if (r[3] < 0) {
    op.result = WriteFileFailure(WriteFileStep::kClose, r[3]);
  } else {
    op.result = r[1];  // possibly short: the caller finishes it
  }
  free_slots_.push_back(chain.slot);
  in_flight_.erase(found);
  return true;
}

}  // namespace posix_aio
