// ControlBlock: the native half of a JS ControlBlock, a struct aiocb as
// aio_error()/aio_return() see it: never submitted, in flight (then it names
// its op, so that AIO.cancel(fd, cb) cancels exactly that op), or done with
// a result. The op itself lives in its batch, like any other.
#pragma once

#include <cstdint>

namespace posix_aio {

struct Op;

class ControlBlock {
 public:
  enum class State { kIdle, kInFlight, kDone };

  State state() const { return state_; }
  // The op in flight for this block, or null.
  Op* op() const { return op_; }

  // Starts a submission of `op`; false if the block is already in flight.
  bool Start(Op* op);
  // Records the outcome of the submission in flight.
  void Finish(int64_t result);
  // A LIO_NOP entry: done at once, with nothing submitted.
  bool FinishNop();
  // Back to never-submitted; false while in flight.
  bool Reset();

  // aio_error(): 0, EINPROGRESS or the errno the op failed with.
  int Error() const;
  // aio_return(): bytes moved, or -1 if the op failed.
  int64_t Return() const { return result_ < 0 ? -1 : result_; }

 private:
  State state_ = State::kIdle;
  Op* op_ = nullptr;
  int64_t result_ = 0;
};

}  // namespace posix_aio
