// ControlBlock: the native half of a JS ControlBlock. It owns the Op (and so
// the real struct aiocb) that the posix engine submits, and remembers where
// the block is in its life: never submitted, in flight, or done.
#pragma once

#include <cstdint>

#include "op.h"

namespace posix_aio {

class ControlBlock {
 public:
  enum class State { kIdle, kInFlight, kDone };

  ControlBlock() { op_.owner = this; }

  State state() const { return state_; }
  Op& op() { return op_; }

  // Starts a submission; false if the block is already in flight.
  bool Start();
  // Records the outcome of the submission in flight.
  void Finish(int64_t result);
  // Back to never-submitted; false while in flight.
  bool Reset();

  // aio_error(): 0, EINPROGRESS or the errno the op failed with.
  int Error() const;
  // aio_return(): bytes moved, or -1 if the op failed.
  int64_t Return() const { return result_ < 0 ? -1 : result_; }

 private:
  Op op_;
  State state_ = State::kIdle;
  int64_t result_ = 0;
};

}  // namespace posix_aio
