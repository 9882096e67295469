#include "control_block.h"

#include <cerrno>

namespace posix_aio {

bool ControlBlock::Start(Op* op) {
  if (state_ == State::kInFlight) return false;
  state_ = State::kInFlight;
  op_ = op;
  result_ = 0;
  return true;
}

void ControlBlock::Finish(int64_t result) {
  state_ = State::kDone;
  op_ = nullptr;
  result_ = result;
}

bool ControlBlock::FinishNop() {
  if (state_ == State::kInFlight) return false;
  Finish(0);
  return true;
}

bool ControlBlock::Reset() {
  if (state_ == State::kInFlight) return false;
  state_ = State::kIdle;
  result_ = 0;
  return true;
}

int ControlBlock::Error() const {
  if (state_ == State::kInFlight) return EINPROGRESS;
  return result_ < 0 ? static_cast<int>(-result_) : 0;
}

}  // namespace posix_aio
