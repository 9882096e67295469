// NativeControlBlock: the JS object that owns a ControlBlock. Each is
// type-tagged, so that nothing else can be taken for one.
#pragma once

#include <napi.h>

#include "control_block.h"

namespace posix_aio {

class BlockWrap : public Napi::ObjectWrap<BlockWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit BlockWrap(const Napi::CallbackInfo& info);

  // The block behind `value`, or null if it is not a NativeControlBlock.
  static ControlBlock* From(const Napi::Value& value);

  ControlBlock& block() { return block_; }

 private:
  Napi::Value State(const Napi::CallbackInfo& info);
  Napi::Value Error(const Napi::CallbackInfo& info);
  Napi::Value Result(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value FinishNop(const Napi::CallbackInfo& info);

  ControlBlock block_;
};

}  // namespace posix_aio
