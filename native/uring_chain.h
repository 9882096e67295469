// AIO.write's files on io_uring (kWriteFile): open, write, [sync] and close
// as SQEs linked in one submission, on a direct descriptor (a slot of a
// registered, sparse file table), never touching the process's fd table.
// How a chain is built and how its completions add up to the op's result;
// which files go to chains, and when, is engine_uring.cc's.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "op.h"
#include "uring_ring.h"

namespace posix_aio {

class FileChains {
 public:
  // Registers the file table (Linux 5.19) on `ring`; without it, or without
  // one of the chain's opcodes, chains are not usable and Prepare refuses.
  void Start(const Ring& ring, const bool supported[256]);
  bool Usable() const { return usable_; }

  // SQEs (and so CQEs) op's chain takes.
  static unsigned SqesFor(const Op& op) { return op.sync != 0 ? 4 : 3; }

  // Fills op's chain into the ring's SQ; false, changing nothing, when no
  // slot is free or the SQ has no room for all of it (a chain's SQEs must
  // go in together).
  bool Prepare(Op& op, Ring* ring);

  // The op a completion is for, any op's: a user_data is the op's address,
  // and a chain's also says its step.
  static Op* OpOf(uint64_t user_data) {
    return reinterpret_cast<Op*>(user_data & ~kStepMask);
  }

  // One completion of op's chain; true when it was the last, with op.result
  // set: the bytes written, or the first step that failed.
  bool StepDone(Op& op, uint64_t user_data, int res);

 private:
  // Bits 1-2 of a user_data say which step of a chain a completion is for
  // (ops are at least 8-aligned); bit 0 is the engine's, tagging cancels.
  static constexpr uint64_t kStepShift = 1;
  static constexpr uint64_t kStepMask = 3ull << kStepShift;

  // A chain in the kernel: its slot and each step's result.
  struct Chain {
    unsigned slot;
    unsigned remaining;  // completions still to come
    int results[4] = {0, 0, 0, 0};
  };

  std::unordered_map<Op*, Chain> in_flight_;
  std::vector<unsigned> free_slots_;  // direct-descriptor slots not in use
  bool usable_ = false;
};

}  // namespace posix_aio
