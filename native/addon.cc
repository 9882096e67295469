// Module init and the exports: one Addon per env, holding that env's engine,
// its batches in flight and its delivery. Every export is a thin step into
// those; everything below them is plain C++.
//
// Life of a batch: JS describes every op of a call (lib/engine.ts), submit()
// decodes and checks them all (args.cc) and only then hands them to the
// engine as one batch; completions come back through Delivery, and an op is
// named by (token, index) until then, for cancel().
#include <napi.h>
#include <uv.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#if defined(AIO_HAVE_POSIX_AIO)
#include <aio.h>
#endif

#include "args.h"
#include "batch.h"
#include "block_wrap.h"
#include "delivery.h"
#include "engine.h"
#include "op.h"

namespace posix_aio {

namespace {

// lio_listio opcodes as JS sees them: the platform's own where it has them.
#if defined(AIO_HAVE_POSIX_AIO)
constexpr int kLioRead = LIO_READ;
constexpr int kLioWrite = LIO_WRITE;
constexpr int kLioNop = LIO_NOP;
constexpr int kLioWait = LIO_WAIT;
constexpr int kLioNoWait = LIO_NOWAIT;
#else
constexpr int kLioRead = 0;
constexpr int kLioWrite = 1;
constexpr int kLioNop = 2;
constexpr int kLioWait = 0;
constexpr int kLioNoWait = 1;
#endif

// The largest aio_reqprio the platform accepts.
int PrioDeltaMax() {
#if defined(AIO_PRIO_DELTA_MAX)
  return AIO_PRIO_DELTA_MAX;
#elif defined(_SC_AIO_PRIO_DELTA_MAX)
  long value = sysconf(_SC_AIO_PRIO_DELTA_MAX);
  return value > 0 ? static_cast<int>(value) : 0;
#else
  return 0;
#endif
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("LIO_READ", kLioRead);
  constants.Set("LIO_WRITE", kLioWrite);
  constants.Set("LIO_NOP", kLioNop);
  constants.Set("LIO_WAIT", kLioWait);
  constants.Set("LIO_NOWAIT", kLioNoWait);
  constants.Set("AIO_CANCELED", static_cast<int>(kCanceled));
  constants.Set("AIO_NOTCANCELED", static_cast<int>(kNotCanceled));
  constants.Set("AIO_ALLDONE", static_cast<int>(kAllDone));
  constants.Set("EINPROGRESS", EINPROGRESS);
  constants.Set("ECANCELED", ECANCELED);
  constants.Set("O_SYNC", O_SYNC);
  constants.Set("O_DSYNC", O_DSYNC);
  constants.Set("AIO_PRIO_DELTA_MAX", PrioDeltaMax());
  constants.Set("IOV_MAX", static_cast<double>(IovMax()));
  return constants;
}

// Op kinds by name: { read: 0, write: 1, ... }, from the op-traits table.
Napi::Object OpKinds(Napi::Env env) {
  Napi::Object kinds = Napi::Object::New(env);
  for (const OpTraits& row : kOpTraits) {
    kinds.Set(row.name, static_cast<int>(row.kind));
  }
  return kinds;
}

// Engine names in the order they are tried, from the registry.
Napi::Array EngineNames(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env, kEngineCount);
  for (size_t i = 0; i < kEngineCount; ++i) {
    names.Set(static_cast<uint32_t>(i), kEngines[i].name);
  }
  return names;
}

class Addon final : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : in_flight_(env) {
    DefineAddon(exports,
                {
                    InstanceValue("ops", OpKinds(env)),
                    InstanceValue("engines", EngineNames(env)),
                    InstanceValue("constants", Constants(env)),
                    InstanceValue("ControlBlock", BlockWrap::Define(env)),
                    InstanceMethod<&Addon::Setup>("setup"),
                    InstanceMethod<&Addon::Submit>("submit"),
                    InstanceMethod<&Addon::SubmitWait>("submitWait"),
                    InstanceMethod<&Addon::Cancel>("cancel"),
                    InstanceMethod<&Addon::CancelFd>("cancelFd"),
                    InstanceMethod<&Addon::Settle>("settle"),
                    InstanceMethod<&Addon::SettleOp>("settleOp"),
                    InstanceMethod<&Addon::Stats>("stats"),
                    InstanceMethod<&Addon::AlignedBuffer>("alignedBuffer"),
                });
  }

 private:
  // setup(names, onComplete) -> [engine, listioMax] | the reasons (string).
  // Once per env: the JS layer keeps the result on these exports.
  Napi::Value Setup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (engine_) throw Napi::Error::New(env, "posix-aio: engine already set up");
    auto names = info[0].As<Napi::Array>();
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      throw Napi::Error::New(env, "posix-aio: no event loop");
    }
    // The way back to JS exists before any engine can complete an op.
    if (!delivery_) delivery_ = std::make_unique<Delivery>(env, in_flight_);
    std::string reasons;
    for (uint32_t i = 0; i < names.Length() && !engine_; ++i) {
      std::string name = names.Get(i).As<Napi::String>();
      auto entry = std::find_if(kEngines, kEngines + kEngineCount,
                                [&](const EngineEntry& e) { return name == e.name; });
      std::string why = "not compiled into this build";
      if (entry != kEngines + kEngineCount && entry->make != nullptr) {
        engine_ = entry->make(loop, *delivery_, &why);
      }
      if (!engine_) reasons += name + ": " + why + "; ";
    }
    if (!engine_) return Napi::String::New(env, reasons);

    delivery_->SetCallback(info[1].As<Napi::Function>());
    // Registered after the thread-safe function, so it runs before that
    // function's own teardown (cleanup hooks run last-in, first-out).
    napi_add_env_cleanup_hook(env, Cleanup, this);

    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(0u, engine_->Name());
    result.Set(1u, static_cast<double>(engine_->ChunkSize()));
    return result;
  }

  void RequireEngine(Napi::Env env) {
    if (!engine_) throw Napi::Error::New(env, "posix-aio: engine not set up");
  }

  // Decodes the batch described by (slots, used, count, refs) into `batch`.
  void Decode(const Napi::CallbackInfo& info, Batch& batch) {
    if (!info[3].IsArray()) {
      throw ErrorWithCode(info.Env(), "ERR_INVALID_ARG_TYPE",
                          "posix-aio: a batch's values are an array");
    }
    DecodeOps(info.Env(), info[0], ToIndex(info[1], "used"), ToIndex(info[2], "count"),
              info[3].As<Napi::Array>(), batch.ops);
  }

  // submit(slots, used, count, refs, together) -> the batch's token. Every
  // op is decoded and checked first: a throw submits nothing. `together`:
  // deliver each chunk's results in one piece (see Engine::Submit).
  Napi::Value Submit(const Napi::CallbackInfo& info) {
    RequireEngine(info.Env());
    bool together = info[4].ToBoolean();
    Batch& batch = in_flight_.Open();
    try {
      Decode(info, batch);
    } catch (...) {
      in_flight_.Abandon(batch);
      throw;
    }
    if (batch.ops.empty()) {
      in_flight_.Abandon(batch);
      return Napi::Number::New(info.Env(), 0);
    }
    if (in_flight_.ops() == 0) delivery_->KeepAlive(true);
    in_flight_.Start(batch);
    submitted_ += batch.ops.size();
    batches_ += 1;
    uint64_t token = batch.token;
    engine_->Submit(batch.list.data(), batch.list.size(), together);
    return Napi::Number::New(info.Env(), static_cast<double>(token));
  }

  // submitWait(slots, used, count, refs) -> Float64Array of results, in
  // order (LIO_WAIT): the ops run to completion before it returns.
  Napi::Value SubmitWait(const Napi::CallbackInfo& info) {
    RequireEngine(info.Env());
    Batch batch;
    Decode(info, batch);
    InFlight::StartLocal(batch);
    size_t count = batch.list.size();
    submitted_ += count;
    batches_ += count == 0 ? 0 : 1;
    engine_->SubmitWait(batch.list.data(), count);
    auto results = Napi::Float64Array::New(info.Env(), count);
    for (size_t i = 0; i < count; ++i) {
      results[i] = static_cast<double>(batch.list[i]->result);
      in_flight_.Retire(*batch.list[i]);
    }
    return results;
  }

  // cancel(token, index) -> CancelResult: that op, and nothing else.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    RequireEngine(info.Env());
    uint64_t token = ToIndex(info[0], "token");
    uint64_t index = ToIndex(info[1], "index");
    Op* op = in_flight_.Find(token, index);
    return Napi::Number::New(info.Env(), op == nullptr ? kAllDone : CancelOp(*op));
  }

  // cancelFd(fd, block?) -> CancelResult or -errno: aio_cancel(), within
  // this env's own POSIX-level requests (the ops run for control blocks):
  // the block's op, or every one on `fd`. A file handle's or a LogWriter's
  // ops on the same descriptor are another owner's, and never reached.
  Napi::Value CancelFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    auto fd = static_cast<int>(ToIndex(info[0], "fd"));
    // aio_cancel's EBADF, for every engine alike.
    if (fcntl(fd, F_GETFD) == -1) return Napi::Number::New(env, -errno);
    int result = kAllDone;
    if (!info[1].IsUndefined()) {
      ControlBlock* block = BlockWrap::From(info[1]);
      if (block == nullptr) {
        throw ErrorWithCode(env, "ERR_INVALID_ARG_TYPE", "not a control block");
      }
      if (block->op() != nullptr) result = CancelOp(*block->op());
    } else {
      in_flight_.ForEachOp([&](Op& op) {
        if (op.fd == fd && op.block != nullptr) result = CombineCancel(result, CancelOp(op));
      });
    }
    return Napi::Number::New(env, result);
  }

  // settle(timeoutMs) -> how many are left: at process exit, blocks until
  // every op in flight that changes a file has finished, or the timeout.
  // Their results stay queued: JS will not run the loop again to see them.
  Napi::Value Settle(const Napi::CallbackInfo& info) {
    RequireEngine(info.Env());
    std::vector<Op*> waiting;
    in_flight_.ForEachOp([&](Op& op) {
      if (ChangesFiles(op)) waiting.push_back(&op);
    });
    AwaitOps(&waiting, ToIndex(info[0], "timeoutMs"), [this](Op* op) { return engine_->HasRun(*op); });
    return Napi::Number::New(info.Env(), static_cast<double>(waiting.size()));
  }

  // settleOp(token, index, timeoutMs) -> the op's result, or undefined if
  // it is not in flight or has not finished by the timeout. At process
  // exit, for a LogWriter that must know what its write did.
  Napi::Value SettleOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    Op* op = in_flight_.Find(ToIndex(info[0], "token"), ToIndex(info[1], "index"));
    if (op == nullptr) return env.Undefined();
    std::vector<Op*> waiting{op};
    AwaitOps(&waiting, ToIndex(info[2], "timeoutMs"), [](Op* op) { return IsFinished(*op); });
    if (!waiting.empty()) return env.Undefined();
    return Napi::Number::New(env, static_cast<double>(op->result));
  }

  // Blocks until `done` holds for every op of `ops` or `timeout_ms` has
  // passed, driving the engine meanwhile; leaves the others in `ops`.
  template <typename Done>
  void AwaitOps(std::vector<Op*>* ops, uint64_t timeout_ms, Done done) {
    using Clock = std::chrono::steady_clock;
    // Slices short enough that an engine that reaps only when driven
    // (io_uring) is driven often, and pool ops (which finish without
    // waking anyone here) are seen soon; arrivals through the sink end one
    // early.
    constexpr std::chrono::milliseconds kSlice{2};
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      engine_->Drive();
      uint64_t seen = delivery_->Arrivals();
      ops->erase(std::remove_if(ops->begin(), ops->end(), done), ops->end());
      auto now = Clock::now();
      if (ops->empty() || now >= deadline) return;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      delivery_->AwaitArrival(seen, std::min(kSlice, left + std::chrono::milliseconds(1)));
    }
  }

  int CancelOp(Op& op) {
    return TraitsOf(op.kind).cancellable ? engine_->Cancel(&op) : kNotCanceled;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array result = Napi::Array::New(env, 5);
    result.Set(0u, static_cast<double>(submitted_));
    result.Set(1u, static_cast<double>(delivery_ ? delivery_->completed() : 0));
    result.Set(2u, static_cast<double>(batches_));
    result.Set(3u, static_cast<double>(delivery_ ? delivery_->notifications() : 0));
    result.Set(4u, static_cast<double>(in_flight_.ops()));
    return result;
  }

  // alignedBuffer(size, alignment) -> ArrayBuffer whose memory starts at a
  // multiple of `alignment` (a power of two), as O_DIRECT needs; the memory
  // is freed when the ArrayBuffer is collected.
  Napi::Value AlignedBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t size = static_cast<size_t>(ToIndex(info[0], "size"));
    size_t alignment = static_cast<size_t>(ToIndex(info[1], "alignment"));
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE",
                          "alignment must be a power of two");
    }
    // posix_memalign wants a multiple of sizeof(void*), which is then
    // aligned to every smaller power of two as well; and size 0 may give
    // null, so allocate at least a byte.
    alignment = std::max(alignment, sizeof(void*));
    void* data = nullptr;
    if (posix_memalign(&data, alignment, std::max<size_t>(size, 1)) != 0) {
      throw ErrorWithCode(env, "ERR_MEMORY_ALLOCATION_FAILED",
                          "cannot allocate an aligned buffer", true);
    }
    std::memset(data, 0, size);  // like Buffer.alloc: never show old heap bytes
    try {
      return Napi::ArrayBuffer::New(env, data, size,
                                    [](Napi::Env, void* memory) { free(memory); });
    } catch (...) {
      free(data);
      throw;
    }
  }

  // Env teardown, on the loop thread: nothing may touch a buffer after this.
  static void Cleanup(void* arg) {
    auto* self = static_cast<Addon*>(arg);
    self->delivery_->Stop();
    self->engine_->Shutdown();
    // Every op has reached the sink by now; take each back, so that the
    // descriptors whose close ran are forgotten and the rest stay tracked.
    for (Op* op : self->delivery_->TakeQueued()) self->in_flight_.Retire(*op);
    self->in_flight_.DropAll();
    // What the env's JS opened (file handles, log writers, opens whose
    // result never reached JS, closes withdrawn before they ran) and did
    // not close: closed now, so a terminated worker leaks no descriptor, as
    // with fs's FileHandle. There is no one left to tell of a failed close.
    for (int fd : self->in_flight_.TakeOpenFds()) (void)close(fd);
    self->delivery_->Release();
  }

  InFlight in_flight_;
  std::unique_ptr<Delivery> delivery_;
  std::unique_ptr<Engine> engine_;  // destroyed before delivery_, its sink
  uint64_t submitted_ = 0;
  uint64_t batches_ = 0;
};

}  // namespace
}  // namespace posix_aio

using PosixAioAddon = posix_aio::Addon;
NODE_API_ADDON(PosixAioAddon)
