#include "block_wrap.h"

namespace posix_aio {

namespace {

// Marks the objects this class made (napi_type_tag_object).
constexpr napi_type_tag kBlockTag = {0x7a1f0c3d5b6e4a29ull, 0x9c84e1f2d3b5a607ull};

}  // namespace

Napi::Function BlockWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeControlBlock",
                     {
                         InstanceMethod<&BlockWrap::State>("state"),
                         InstanceMethod<&BlockWrap::Error>("error"),
                         InstanceMethod<&BlockWrap::Result>("result"),
                         InstanceMethod<&BlockWrap::Reset>("reset"),
                         InstanceMethod<&BlockWrap::FinishNop>("finishNop"),
                     });
}

BlockWrap::BlockWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<BlockWrap>(info) {
  if (napi_type_tag_object(info.Env(), info.This(), &kBlockTag) != napi_ok) {
    throw Napi::Error::New(info.Env(), "posix-aio: cannot tag a control block");
  }
}

ControlBlock* BlockWrap::From(const Napi::Value& value) {
  bool tagged = false;
  if (!value.IsObject() ||
      napi_check_object_type_tag(value.Env(), value, &kBlockTag, &tagged) != napi_ok ||
      !tagged) {
    return nullptr;
  }
  return &Unwrap(value.As<Napi::Object>())->block_;
}

Napi::Value BlockWrap::State(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(block_.state()));
}

Napi::Value BlockWrap::Error(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), block_.Error());
}

Napi::Value BlockWrap::Result(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(block_.Return()));
}

Napi::Value BlockWrap::Reset(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), block_.Reset());
}

Napi::Value BlockWrap::FinishNop(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), block_.FinishNop());
}

}  // namespace posix_aio
