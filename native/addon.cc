// The N-API glue: per-env state, the exported functions, and the delivery of
// completions to JavaScript. Everything below this file is plain C++.
//
// Life of a batch: JS queues ops (queue*), then submit(token) hands them to
// the engine as one batch. Engines report finished ops to Complete() from any
// thread; the first op to land in an empty queue wakes the loop through a
// thread-safe function, whose callback drains the whole queue, unpins the
// buffers and calls JS once with every (token, index, result) triple.
#include <napi.h>
#include <uv.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#if defined(AIO_HAVE_POSIX_AIO)
#include <aio.h>
#endif

#include "control_block.h"
#include "engine.h"
#include "op.h"

namespace posix_aio {

#if !defined(AIO_HAVE_POSIX_AIO)
std::unique_ptr<Engine> MakePosixEngine(uv_loop_t*, CompletionSink&,
                                        std::string* why) {
  *why = "POSIX AIO is not available on this platform";
  return nullptr;
}
#endif
#if !defined(AIO_HAVE_URING)
std::unique_ptr<Engine> MakeUringEngine(uv_loop_t*, CompletionSink&,
                                        const UringTuning&, std::string* why) {
  *why = "io_uring exists only on Linux";
  return nullptr;
}
#endif

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

// The most buffers one readv/writev takes (POSIX guarantees 16).
size_t IovMax() {
  long value = sysconf(_SC_IOV_MAX);
  return value > 0 ? static_cast<size_t>(value) : 16;
}

Napi::Error ErrorWithCode(Napi::Env env, const char* code,
                          const std::string& message, bool range = false) {
  Napi::Error error = range ? Napi::RangeError::New(env, message)
                            : Napi::Error(Napi::TypeError::New(env, message));
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// A non-negative integral double, as the JS layer validated it.
uint64_t ToIndex(const Napi::Value& value, const char* name) {
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || std::trunc(d) != d) {
    throw ErrorWithCode(value.Env(), "ERR_OUT_OF_RANGE",
                        std::string("invalid ") + name, true);
  }
  return static_cast<uint64_t>(d);
}

int ToFd(const Napi::Value& value) {
  uint64_t fd = ToIndex(value, "fd");
  if (fd > 2147483647u) {
    throw ErrorWithCode(value.Env(), "ERR_OUT_OF_RANGE", "invalid fd", true);
  }
  return static_cast<int>(fd);
}

// -1 means "the current file position"; anything else is an offset.
int64_t ToPosition(const Napi::Value& value) {
  double d = value.As<Napi::Number>().DoubleValue();
  if (d == -1) return -1;
  return static_cast<int64_t>(ToIndex(value, "position"));
}

struct BufferView {
  uint8_t* data;
  size_t length;
};

BufferView ToBuffer(const Napi::Value& value) {
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_TYPE",
                        "buffer must be a Uint8Array");
  }
  auto array = value.As<Napi::Uint8Array>();
  return {array.Data(), array.ByteLength()};
}

class BlockWrap : public Napi::ObjectWrap<BlockWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeControlBlock",
                       {
                           InstanceMethod<&BlockWrap::State>("state"),
                           InstanceMethod<&BlockWrap::Error>("error"),
                           InstanceMethod<&BlockWrap::Result>("result"),
                           InstanceMethod<&BlockWrap::Reset>("reset"),
                       });
  }

  explicit BlockWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<BlockWrap>(info) {}

  ControlBlock& block() { return block_; }

 private:
  Napi::Value State(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<int>(block_.state()));
  }
  Napi::Value Error(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), block_.Error());
  }
  Napi::Value Result(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(block_.Return()));
  }
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), block_.Reset());
  }

  ControlBlock block_;
};

class Addon final : public Napi::Addon<Addon>, public CompletionSink {
 public:
  Addon(Napi::Env env, Napi::Object exports) : env_(env) {
    Napi::Object opcodes = Napi::Object::New(env);
    opcodes.Set("read", static_cast<int>(OpCode::kRead));
    opcodes.Set("write", static_cast<int>(OpCode::kWrite));
    opcodes.Set("fsync", static_cast<int>(OpCode::kFsync));
    opcodes.Set("fdatasync", static_cast<int>(OpCode::kFdatasync));
    opcodes.Set("nop", static_cast<int>(OpCode::kNop));
    opcodes.Set("open", static_cast<int>(OpCode::kOpen));
    opcodes.Set("close", static_cast<int>(OpCode::kClose));
    opcodes.Set("fstatSize", static_cast<int>(OpCode::kFstatSize));
    opcodes.Set("readv", static_cast<int>(OpCode::kReadv));
    opcodes.Set("writev", static_cast<int>(OpCode::kWritev));
    opcodes.Set("ftruncate", static_cast<int>(OpCode::kFtruncate));
    opcodes.Set("fstat", static_cast<int>(OpCode::kFstat));

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

    Napi::Array compiled = Napi::Array::New(env);
    uint32_t n = 0;
#if defined(AIO_HAVE_URING)
    compiled.Set(n++, "io_uring");
#endif
#if defined(AIO_HAVE_POSIX_AIO)
    compiled.Set(n++, "posix");
#endif
    compiled.Set(n++, "threadpool");

    DefineAddon(
        exports,
        {
            InstanceValue("opcodes", opcodes),
            InstanceValue("constants", constants),
            InstanceValue("compiledBackends", compiled),
            InstanceValue("ControlBlock", BlockWrap::Define(env)),
            InstanceMethod<&Addon::Setup>("setup"),
            InstanceMethod<&Addon::QueueTransfer>("queueTransfer"),
            InstanceMethod<&Addon::QueueFd>("queueFd"),
            InstanceMethod<&Addon::QueueOpen>("queueOpen"),
            InstanceMethod<&Addon::QueueWriteFile>("queueWriteFile"),
            InstanceMethod<&Addon::QueueBlock>("queueBlock"),
            InstanceMethod<&Addon::QueueVector>("queueVector"),
            InstanceMethod<&Addon::QueueFstat>("queueFstat"),
            InstanceMethod<&Addon::QueueTruncate>("queueTruncate"),
            InstanceMethod<&Addon::AlignedBuffer>("alignedBuffer"),
            InstanceMethod<&Addon::AlignmentOf>("alignmentOf"),
            InstanceMethod<&Addon::Submit>("submit"),
            InstanceMethod<&Addon::SubmitWait>("submitWait"),
            InstanceMethod<&Addon::Cancel>("cancel"),
            InstanceMethod<&Addon::Stats>("stats"),
        });
  }

  ~Addon() override {
    // The cleanup hook has run if setup did; this only frees memory.
    for (Op* op : queued_) FreeOp(op);
  }

  // CompletionSink: any thread.
  void Complete(Op* const* ops, size_t count) override {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wake = completed_.empty() && !shutting_down_;
      completed_.insert(completed_.end(), ops, ops + count);
    }
    // Only the op that makes the queue non-empty wakes the loop: one
    // JS callback then drains everything that arrived meanwhile.
    if (wake) napi_call_threadsafe_function(wake_, nullptr, napi_tsfn_nonblocking);
  }

 private:
  // setup(names, onComplete, tuning) -> [backend, listioMax] | reasons
  // (string). tuning: { deliverViaQueue, chainEveryWriteFile } (UringTuning).
  // Once per env: the JS layer keeps the result on these exports.
  Napi::Value Setup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (engine_) throw Napi::Error::New(env, "posix-aio: engine already set up");
    auto names = info[0].As<Napi::Array>();
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      throw Napi::Error::New(env, "posix-aio: no event loop");
    }
    // The ways back to JS exist before any engine can complete an op.
    if (wake_ == nullptr) {
      napi_value name = Napi::String::New(env, "posix-aio");
      if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1,
                                          nullptr, nullptr, this, CallJs,
                                          &wake_) != napi_ok ||
          napi_async_init(env, Napi::Object::New(env), name,
                          &async_context_) != napi_ok) {
        throw Napi::Error::New(env, "posix-aio: cannot create the wake-up");
      }
      napi_unref_threadsafe_function(env, wake_);
    }
    UringTuning tuning;
    if (info[2].IsObject()) {
      auto given = info[2].As<Napi::Object>();
      tuning.deliver_via_queue = given.Get("deliverViaQueue").ToBoolean();
      tuning.chain_every_write_file = given.Get("chainEveryWriteFile").ToBoolean();
    }
    std::string reasons;
    for (uint32_t i = 0; i < names.Length() && !engine_; ++i) {
      std::string name = names.Get(i).As<Napi::String>();
      std::string why;
      if (name == "io_uring") {
        engine_ = MakeUringEngine(loop, *this, tuning, &why);
      } else if (name == "posix") {
        engine_ = MakePosixEngine(loop, *this, &why);
      } else if (name == "threadpool") {
        engine_ = MakeThreadPoolEngine(loop, *this, &why);
      } else {
        why = "not compiled into this build";
      }
      if (!engine_) reasons += name + ": " + why + "; ";
    }
    if (!engine_) return Napi::String::New(env, reasons);

    on_complete_ = Napi::Persistent(info[1].As<Napi::Function>());
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

  void Pin(napi_env env, Op& op, napi_value value, int slot) {
    napi_ref ref;
    if (napi_create_reference(env, value, 1, &ref) != napi_ok) {
      throw Napi::Error::New(env, "posix-aio: cannot pin a buffer");
    }
    op.pins[slot] = ref;
  }

  void Unpin(Op& op) {
    for (void*& pin : op.pins) {
      if (pin) napi_delete_reference(env_, static_cast<napi_ref>(pin));
      pin = nullptr;
    }
  }

  void FreeOp(Op* op) {
    Unpin(*op);
    if (op->owner) {
      static_cast<ControlBlock*>(op->owner)->Finish(-ECANCELED);
    } else {
      delete op;
    }
  }

  // Fills a transfer's buffer fields after checking the range against the
  // buffer itself: the kernel is never trusted with the bounds.
  void SetBuffer(Napi::Env env, Op& op, const Napi::Value& buffer,
                 const Napi::Value& start_value, const Napi::Value& length_value) {
    BufferView view = ToBuffer(buffer);
    uint64_t start = ToIndex(start_value, "offset");
    uint64_t length = ToIndex(length_value, "length");
    if (start > view.length || length > view.length - start) {
      throw ErrorWithCode(env, "ERR_OUT_OF_RANGE",
                          "range exceeds the buffer", true);
    }
    op.data = view.data + start;
    op.length = static_cast<size_t>(length);
  }

  // A new op for the batch being built. It joins the batch (Enqueue) only
  // once all its arguments are checked, so a throw leaves nothing queued.
  std::unique_ptr<Op> NewOp(Napi::Env env, OpCode code) {
    RequireEngine(env);
    auto op = std::make_unique<Op>();
    op->code = code;
    return op;
  }

  Napi::Value Enqueue(Napi::Env env, std::unique_ptr<Op> op) {
    queued_.push_back(op.release());
    return env.Undefined();
  }

  // A path: a string, or a Buffer of raw bytes (a name need not be UTF-8).
  static std::string ToPath(const Napi::Value& value) {
    std::string path;
    if (value.IsTypedArray()) {
      BufferView bytes = ToBuffer(value);
      path.assign(reinterpret_cast<const char*>(bytes.data), bytes.length);
    } else {
      path = value.As<Napi::String>().Utf8Value();
    }
    if (path.find('\0') != std::string::npos) {
      throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_VALUE",
                          "path must not contain null bytes");
    }
    return path;
  }

  // queueTransfer(code, fd, buffer, start, length, position)
  Napi::Value QueueTransfer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, static_cast<OpCode>(info[0].As<Napi::Number>().Int32Value()));
    if (!IsTransfer(op->code)) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE", "not a transfer");
    }
    op->fd = ToFd(info[1]);
    SetBuffer(env, *op, info[2], info[3], info[4]);
    op->position = ToPosition(info[5]);
    Pin(env, *op, info[2], 0);
    return Enqueue(env, std::move(op));
  }

  // queueFd(code, fd): fsync, fdatasync, close, fstatSize
  Napi::Value QueueFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, static_cast<OpCode>(info[0].As<Napi::Number>().Int32Value()));
    if (op->code != OpCode::kFsync && op->code != OpCode::kFdatasync &&
        op->code != OpCode::kClose && op->code != OpCode::kFstatSize) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE", "not an fd op");
    }
    op->fd = ToFd(info[1]);
    if (op->code == OpCode::kClose) open_fds_.erase(op->fd);
    return Enqueue(env, std::move(op));
  }

  // The (path, flags, mode) that queueOpen and queueWriteFile start with.
  static void SetOpenArgs(Op& op, const Napi::CallbackInfo& info) {
    op.path = ToPath(info[0]);
    op.flags = info[1].As<Napi::Number>().Int32Value();
    op.mode = info[2].As<Napi::Number>().Int32Value();
  }

  // queueOpen(path: string | Uint8Array, flags, mode)
  Napi::Value QueueOpen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, OpCode::kOpen);
    SetOpenArgs(*op, info);
    return Enqueue(env, std::move(op));
  }

  // queueWriteFile(path, flags, mode, buffer, start, length, position, sync)
  Napi::Value QueueWriteFile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, OpCode::kWriteFile);
    SetOpenArgs(*op, info);
    SetBuffer(env, *op, info[3], info[4], info[5]);
    op->position = ToPosition(info[6]);
    op->sync = info[7].As<Napi::Number>().Int32Value();
    Pin(env, *op, info[3], 0);
    return Enqueue(env, std::move(op));
  }

  // queueBlock(block, code, fd, buffer|null, nbytes, offset, reqprio)
  //   -> true if queued, false if the block finished at once (a NOP).
  Napi::Value QueueBlock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    BlockWrap* wrap = BlockWrap::Unwrap(info[0].As<Napi::Object>());
    ControlBlock& block = wrap->block();
    auto code = static_cast<OpCode>(info[1].As<Napi::Number>().Int32Value());
    Op scratch;
    scratch.code = code;
    scratch.fd = ToFd(info[2]);
    if (IsTransfer(code)) {
      SetBuffer(env, scratch, info[3], Napi::Number::New(env, 0), info[4]);
      // -1 (the current position) serves file handles in append mode.
      scratch.position = ToPosition(info[5]);
    } else if (code != OpCode::kFsync && code != OpCode::kFdatasync &&
               code != OpCode::kNop) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE", "bad block opcode");
    }
    scratch.reqprio = info[6].As<Napi::Number>().Int32Value();
    if (!block.Start()) {
      throw ErrorWithCode(env, "ERR_INVALID_STATE",
                          "the control block is already in flight");
    }
    if (code == OpCode::kNop) {
      block.Finish(0);
      return Napi::Boolean::New(env, false);
    }
    Op& op = block.op();
    op.code = code;
    op.fd = scratch.fd;
    op.data = scratch.data;
    op.length = scratch.length;
    op.position = scratch.position;
    op.reqprio = scratch.reqprio;
    Pin(env, op, info[0], 0);
    if (IsTransfer(code)) Pin(env, op, info[3], 1);
    queued_.push_back(&op);
    return Napi::Boolean::New(env, true);
  }

  // queueVector(code, fd, buffers, position): readv/writev over an array of
  // Uint8Arrays, each taken whole. Pinning the array pins every buffer in
  // it, so the caller passes an array of its own that nobody else can change.
  Napi::Value QueueVector(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, static_cast<OpCode>(info[0].As<Napi::Number>().Int32Value()));
    if (op->code != OpCode::kReadv && op->code != OpCode::kWritev) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE", "not a vector op");
    }
    op->fd = ToFd(info[1]);
    if (!info[2].IsArray()) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_TYPE",
                          "buffers must be an array");
    }
    auto buffers = info[2].As<Napi::Array>();
    uint32_t count = buffers.Length();
    if (count > IovMax()) {
      throw ErrorWithCode(env, "ERR_OUT_OF_RANGE", "too many buffers", true);
    }
    op->iov.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      BufferView view = ToBuffer(buffers.Get(i));
      op->iov[i].iov_base = view.data;
      op->iov[i].iov_len = view.length;
    }
    op->position = ToPosition(info[3]);
    Pin(env, *op, info[2], 0);
    return Enqueue(env, std::move(op));
  }

  // queueFstat(fd, out): `out` is a Float64Array of at least kFstatFields,
  // filled in place (see OpCode::kFstat); the op's result is 0 or -errno.
  Napi::Value QueueFstat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, OpCode::kFstat);
    op->fd = ToFd(info[0]);
    if (!info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[1].As<Napi::Float64Array>().ElementLength() < kFstatFields) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_TYPE",
                          "out must be a Float64Array of 18 or more");
    }
    auto out = info[1].As<Napi::Float64Array>();
    op->data = reinterpret_cast<uint8_t*>(out.Data());
    op->length = out.ByteLength();
    Pin(env, *op, info[1], 0);
    return Enqueue(env, std::move(op));
  }

  // queueTruncate(fd, length)
  Napi::Value QueueTruncate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto op = NewOp(env, OpCode::kFtruncate);
    op->fd = ToFd(info[0]);
    op->position = static_cast<int64_t>(ToIndex(info[1], "length"));
    return Enqueue(env, std::move(op));
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

  // alignmentOf(view) -> the largest power of two (up to 2^30) dividing the
  // address of the view's first byte. JS cannot see addresses; the tests
  // check alignedBuffer with it (O_DIRECT on ext4 accepts any address).
  Napi::Value AlignmentOf(const Napi::CallbackInfo& info) {
    auto address = reinterpret_cast<uintptr_t>(ToBuffer(info[0]).data);
    uintptr_t alignment = 1;
    while (alignment < (uintptr_t{1} << 30) && (address & alignment) == 0) {
      alignment <<= 1;
    }
    return Napi::Number::New(info.Env(), static_cast<double>(alignment));
  }

  // submit(token, together): the queued ops become one batch, delivered in
  // one piece per chunk when `together` (see Engine::Submit).
  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    uint32_t token = info[0].As<Napi::Number>().Uint32Value();
    bool together = info[1].ToBoolean();
    std::vector<Op*> batch;
    batch.swap(queued_);
    if (batch.empty()) return env.Undefined();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->token = token;
      batch[i]->index = static_cast<uint32_t>(i);
    }
    if (in_flight_ == 0) napi_ref_threadsafe_function(env, wake_);
    in_flight_ += batch.size();
    stats_.submitted += batch.size();
    stats_.batches += 1;
    engine_->Submit(batch.data(), batch.size(), together);
    return env.Undefined();
  }

  // submitWait() -> Float64Array of results, in queue order (LIO_WAIT).
  Napi::Value SubmitWait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    std::vector<Op*> batch;
    batch.swap(queued_);
    stats_.submitted += batch.size();
    stats_.batches += batch.empty() ? 0 : 1;
    engine_->SubmitWait(batch.data(), batch.size());
    auto results = Napi::Float64Array::New(env, batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      results[i] = static_cast<double>(batch[i]->result);
      Retire(batch[i]);
    }
    stats_.completed += batch.size();
    return results;
  }

  // cancel(fd, block|undefined) -> CancelResult or -errno
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireEngine(env);
    int fd = ToFd(info[0]);
    // aio_cancel's EBADF, for every engine alike.
    if (fcntl(fd, F_GETFD) == -1) return Napi::Number::New(env, -errno);
    int result;
    if (info[1].IsObject()) {
      ControlBlock& block = BlockWrap::Unwrap(info[1].As<Napi::Object>())->block();
      result = block.state() == ControlBlock::State::kInFlight
                   ? engine_->Cancel(fd, &block.op())
                   : kAllDone;
    } else {
      result = engine_->Cancel(fd, nullptr);
    }
    return Napi::Number::New(env, result);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array result = Napi::Array::New(env, 5);
    result.Set(0u, static_cast<double>(stats_.submitted));
    result.Set(1u, static_cast<double>(stats_.completed));
    result.Set(2u, static_cast<double>(stats_.batches));
    result.Set(3u, static_cast<double>(stats_.notifications));
    result.Set(4u, static_cast<double>(in_flight_));
    return result;
  }

  // An op's completion has been taken in: unpin, record, free.
  void Retire(Op* op) {
    Unpin(*op);
    if (op->owner) {
      static_cast<ControlBlock*>(op->owner)->Finish(op->result);
    } else {
      delete op;
    }
  }

  static void CallJs(napi_env env, napi_value, void* context, void*) {
    if (env == nullptr) return;  // the function is being torn down
    static_cast<Addon*>(context)->Drain(Napi::Env(env));
  }

  // The thread-safe function's callback: delivers everything queued.
  void Drain(Napi::Env env) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      draining_.swap(completed_);
    }
    Handoff(draining_.data(), draining_.size(), false);
    draining_.clear();
  }

  // CompletionSink: loop thread, from a libuv callback.
  void Deliver(Op* const* ops, size_t count) override {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env_, &scope) != napi_ok) {
      Complete(ops, count);  // JS is not reachable now: deliver later
      return;
    }
    Handoff(ops, count, true);
    napi_close_handle_scope(env_, scope);
  }

  // On the loop thread: retires the ops and hands their results to JS in
  // one call. From a libuv callback (`own_scope`) the call gets its own
  // callback scope, so promise reactions run when it returns.
  void Handoff(Op* const* ops, size_t count, bool own_scope) {
    if (count == 0) return;
    triples_.resize(count * 3);
    for (size_t i = 0; i < count; ++i) {
      Op* op = ops[i];
      NoteOpened(*op);
      triples_[3 * i] = op->token;
      triples_[3 * i + 1] = op->index;
      triples_[3 * i + 2] = static_cast<double>(op->result);
      Retire(op);
    }
    in_flight_ -= count;
    stats_.completed += count;
    stats_.notifications += 1;
    if (in_flight_ == 0) napi_unref_threadsafe_function(env_, wake_);
    // Plain N-API from here: while a worker is being terminated these calls
    // fail, and node-addon-api would turn that into a fatal error. A failed
    // call just means JS will never see these results; the ops are retired.
    size_t bytes = triples_.size() * sizeof(double);
    void* data = nullptr;
    napi_value buffer, array, callback, receiver;
    if (napi_create_arraybuffer(env_, bytes, &data, &buffer) != napi_ok ||
        napi_create_typedarray(env_, napi_float64_array, triples_.size(),
                               buffer, 0, &array) != napi_ok ||
        napi_get_reference_value(env_, on_complete_, &callback) != napi_ok ||
        napi_get_undefined(env_, &receiver) != napi_ok) {
      return;
    }
    std::memcpy(data, triples_.data(), bytes);
    if (!own_scope) {
      // Inside the thread-safe function's scope; an exception (onComplete
      // never throws by design) stays pending and Node reports it.
      napi_call_function(env_, receiver, callback, 1, &array, nullptr);
      return;
    }
    // napi_make_callback wants an object for `this`.
    napi_value global;
    if (napi_get_global(env_, &global) == napi_ok &&
        napi_make_callback(env_, async_context_, global, callback, 1, &array,
                           nullptr) == napi_pending_exception) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) {
        napi_fatal_exception(env_, error);
      }
    }
  }

  // A descriptor the engine opened is the env's until JS closes it through
  // the engine (queueFd close).
  void NoteOpened(const Op& op) {
    if (op.code == OpCode::kOpen && op.result >= 0) {
      open_fds_.insert(static_cast<int>(op.result));
    }
  }

  // Env teardown, on the loop thread: nothing may touch a buffer after this.
  static void Cleanup(void* arg) {
    auto* self = static_cast<Addon*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->shutting_down_ = true;
    }
    self->engine_->Shutdown();
    std::vector<Op*> leftovers;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      leftovers.swap(self->completed_);
    }
    for (Op* op : leftovers) {
      self->NoteOpened(*op);
      self->FreeOp(op);
    }
    for (Op* op : self->queued_) self->FreeOp(op);
    self->queued_.clear();
    // What the env's JS opened (file handles, log writers, opens whose
    // result never reached JS) and did not close: closed now, so a
    // terminated worker leaks no descriptor, as with fs's FileHandle. There
    // is no one left to tell of a failed close.
    for (int fd : self->open_fds_) (void)close(fd);  // released even on error
    self->open_fds_.clear();
    napi_release_threadsafe_function(self->wake_, napi_tsfn_abort);
    napi_async_destroy(self->env_, self->async_context_);
    self->on_complete_.Reset();
  }

  struct Counters {
    uint64_t submitted = 0;
    uint64_t completed = 0;
    uint64_t batches = 0;
    uint64_t notifications = 0;
  };

  napi_env env_;
  std::unique_ptr<Engine> engine_;
  std::vector<Op*> queued_;    // the batch being built; loop thread
  uint64_t in_flight_ = 0;     // submitted, not yet delivered; loop thread
  Counters stats_;             // loop thread
  Napi::FunctionReference on_complete_;
  napi_threadsafe_function wake_ = nullptr;
  napi_async_context async_context_ = nullptr;

  std::mutex mutex_;
  std::vector<Op*> completed_;  // guarded by mutex_
  bool shutting_down_ = false;  // guarded by mutex_
  std::vector<Op*> draining_;   // loop thread
  std::vector<double> triples_;  // loop thread
  std::unordered_set<int> open_fds_;  // opened by the engine, not closed; loop thread
};

}  // namespace
}  // namespace posix_aio

using PosixAioAddon = posix_aio::Addon;
NODE_API_ADDON(PosixAioAddon)
