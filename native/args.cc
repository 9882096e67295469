#include "args.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "block_wrap.h"

namespace posix_aio {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

bool IsIntegral(double d) { return std::isfinite(d) && std::trunc(d) == d; }

Napi::Error Malformed(Napi::Env env, const std::string& why) {
  return ErrorWithCode(env, "ERR_INVALID_ARG_VALUE", "posix-aio: malformed batch: " + why);
}

struct BufferView {
  uint8_t* data;
  size_t length;
};

// A typed array of `type`, its data and element count, in one N-API call
// (node-addon-api's accessors make one each); false for anything else.
bool TypedArrayOf(napi_env env, napi_value value, napi_typedarray_type type,
                  void** data, size_t* length) {
  napi_typedarray_type actual;
  return napi_get_typedarray_info(env, value, &actual, length, data, nullptr,
                                  nullptr) == napi_ok &&
         actual == type;
}

BufferView ToBuffer(const Napi::Value& value, const char* name) {
  void* data = nullptr;
  size_t length = 0;
  if (!TypedArrayOf(value.Env(), value, napi_uint8_array, &data, &length)) {
    throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_TYPE",
                        std::string(name) + " must be a Uint8Array");
  }
  return {static_cast<uint8_t*>(data), length};
}

// A path: a string, or a Uint8Array of raw bytes (a name need not be UTF-8).
std::string ToPath(const Napi::Value& value) {
  std::string path;
  if (value.IsTypedArray()) {
    BufferView bytes = ToBuffer(value, "path");
    path.assign(reinterpret_cast<const char*>(bytes.data), bytes.length);
  } else if (value.IsString()) {
    path = value.As<Napi::String>().Utf8Value();
  } else {
    throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_TYPE",
                        "path must be a string or a Uint8Array");
  }
  if (path.find('\0') != std::string::npos) {
    throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_VALUE",
                        "path must not contain null bytes");
  }
  return path;
}

int64_t ToInt64(Napi::Env env, double d, double min, double max, const char* name) {
  if (!IsIntegral(d) || d < min || d > max) {
    throw ErrorWithCode(env, "ERR_OUT_OF_RANGE", std::string("invalid ") + name, true);
  }
  return static_cast<int64_t>(d);
}

int ToInt(Napi::Env env, double d, double min, double max, const char* name) {
  return static_cast<int>(ToInt64(env, d, min, max, name));
}

// Reads a batch's numbers in order; running out is a malformed batch.
class Reader {
 public:
  Reader(Napi::Env env, const double* slots, size_t size)
      : env_(env), slots_(slots), size_(size) {}

  double Next() {
    if (at_ == size_) throw Malformed(env_, "too few numbers");
    return slots_[at_++];
  }

  bool Done() const { return at_ == size_; }

 private:
  Napi::Env env_;
  const double* slots_;
  size_t size_;
  size_t at_ = 0;
};

class Decoder {
 public:
  Decoder(Napi::Env env, Reader& in, const Napi::Array& refs)
      : env_(env), in_(in), refs_(refs), ref_count_(refs.Length()) {}

  void Decode(Op& op, std::vector<ControlBlock*>& blocks) {
    double kind = in_.Next();
    if (!IsIntegral(kind) || kind < 0 ||
        kind >= static_cast<double>(OpKind::kCount)) {
      throw Malformed(env_, "unknown op kind");
    }
    op.kind = static_cast<OpKind>(static_cast<int>(kind));
    double block = in_.Next();
    op.reqprio = ToInt(env_, in_.Next(), 0, INT_MAX, "reqprio");
    if (block != -1) {
      Napi::Value value = RefAt(block);
      op.block = BlockWrap::From(value);
      if (op.block == nullptr) throw Malformed(env_, "not a control block");
      if (op.block->state() == ControlBlock::State::kInFlight) {
        throw ErrorWithCode(env_, "ERR_INVALID_STATE",
                            "the control block is already in flight");
      }
      blocks.push_back(op.block);
      Pin(op, value, 1);
    }
    for (Arg arg : TraitsOf(op.kind).args) {
      if (arg == Arg::kEnd) break;
      DecodeArg(op, arg);
    }
  }

 private:
  void DecodeArg(Op& op, Arg arg) {
    switch (arg) {
      case Arg::kEnd:
        return;
      case Arg::kFd:
        op.fd = ToInt(env_, in_.Next(), 0, INT_MAX, "fd");
        return;
      case Arg::kBuffer: {
        Napi::Value value = Ref();
        BufferView view = ToBuffer(value, "buffer");
        uint64_t start = ToIndex(env_, in_.Next(), "offset");
        uint64_t length = ToIndex(env_, in_.Next(), "length");
        // The kernel is never trusted with the bounds.
        if (start > view.length || length > view.length - start) {
          throw ErrorWithCode(env_, "ERR_OUT_OF_RANGE", "range exceeds the buffer", true);
        }
        op.data = view.data + start;
        op.length = static_cast<size_t>(length);
        Pin(op, value, 0);
        return;
      }
      case Arg::kPosition: {
        double d = in_.Next();
        op.position = d == -1 ? -1 : static_cast<int64_t>(ToIndex(env_, d, "position"));
        return;
      }
      case Arg::kLength:
        op.length = static_cast<size_t>(ToIndex(env_, in_.Next(), "length"));
        return;
      case Arg::kPath:
        op.path = ToPath(Ref());
        return;
      case Arg::kPath2:
        op.path2 = ToPath(Ref());
        return;
      case Arg::kFlags:
        op.flags = ToInt(env_, in_.Next(), INT_MIN, INT_MAX, "flags");
        return;
      case Arg::kMode:
        op.mode = static_cast<int>(static_cast<unsigned>(
            ToIndex(env_, in_.Next(), "mode") & 0xffffffffu));
        return;
      case Arg::kSync:
        op.sync = ToInt(env_, in_.Next(), 0, 2, "sync");
        return;
      case Arg::kBuffers: {
        Napi::Value value = Ref();
        if (!value.IsArray()) {
          throw ErrorWithCode(env_, "ERR_INVALID_ARG_TYPE", "buffers must be an array");
        }
        auto buffers = value.As<Napi::Array>();
        uint32_t count = buffers.Length();
        if (count > IovMax()) {
          throw ErrorWithCode(env_, "ERR_OUT_OF_RANGE", "too many buffers", true);
        }
        op.iov.resize(count);
        for (uint32_t i = 0; i < count; ++i) {
          BufferView view = ToBuffer(buffers.Get(i), "buffers[i]");
          op.iov[i].iov_base = view.data;
          op.iov[i].iov_len = view.length;
        }
        // Pinning the array pins every buffer in it: the JS layer passes an
        // array of its own that nobody else can change.
        Pin(op, value, 0);
        return;
      }
      case Arg::kOwner:
        for (int64_t& id : op.owner) {
          id = ToInt64(env_, in_.Next(), -1, 4294967294.0, "owner");
        }
        return;
      case Arg::kTimes:
        for (double& time : op.times) {
          time = in_.Next();
          if (!std::isfinite(time)) {
            throw ErrorWithCode(env_, "ERR_OUT_OF_RANGE", "invalid time", true);
          }
        }
        return;
      case Arg::kStatOut: {
        Napi::Value value = Ref();
        void* data = nullptr;
        size_t fields = 0;
        if (!TypedArrayOf(env_, value, napi_float64_array, &data, &fields) ||
            fields < kFstatFields) {
          throw ErrorWithCode(env_, "ERR_INVALID_ARG_TYPE",
                              "out must be a Float64Array of 18 or more");
        }
        op.data = static_cast<uint8_t*>(data);
        op.length = fields * sizeof(double);
        Pin(op, value, 0);
        return;
      }
    }
  }

  Napi::Value Ref() { return RefAt(in_.Next()); }

  Napi::Value RefAt(double index) {
    if (!IsIntegral(index) || index < 0 || index >= ref_count_) {
      throw Malformed(env_, "no such value");
    }
    return refs_.Get(static_cast<uint32_t>(index));
  }

  void Pin(Op& op, napi_value value, int slot) {
    napi_ref ref;
    if (napi_create_reference(env_, value, 1, &ref) != napi_ok) {
      throw Napi::Error::New(env_, "posix-aio: cannot pin a buffer");
    }
    op.pins[slot] = ref;
  }

  Napi::Env env_;
  Reader& in_;
  const Napi::Array& refs_;
  double ref_count_;
};

}  // namespace

Napi::Error ErrorWithCode(Napi::Env env, const char* code,
                          const std::string& message, bool range) {
  Napi::Error error = range ? Napi::RangeError::New(env, message)
                            : Napi::Error(Napi::TypeError::New(env, message));
  error.Set("code", Napi::String::New(env, code));
  return error;
}

uint64_t ToIndex(Napi::Env env, double d, const char* name) {
  if (!(d >= 0) || d > kMaxSafeInteger || std::trunc(d) != d) {
    throw ErrorWithCode(env, "ERR_OUT_OF_RANGE", std::string("invalid ") + name, true);
  }
  return static_cast<uint64_t>(d);
}

uint64_t ToIndex(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) {
    throw ErrorWithCode(value.Env(), "ERR_INVALID_ARG_TYPE",
                        std::string(name) + " must be a number");
  }
  return ToIndex(value.Env(), value.As<Napi::Number>().DoubleValue(), name);
}

size_t IovMax() {
  long value = sysconf(_SC_IOV_MAX);
  return value > 0 ? static_cast<size_t>(value) : 16;
}

void DecodeOps(Napi::Env env, const Napi::Value& slots, size_t used,
               size_t count, const Napi::Array& refs, std::vector<Op>& ops) {
  void* data = nullptr;
  size_t length = 0;
  if (!TypedArrayOf(env, slots, napi_float64_array, &data, &length)) {
    throw ErrorWithCode(env, "ERR_INVALID_ARG_TYPE", "posix-aio: a batch is described in a Float64Array");
  }
  // Every op takes three numbers at least (its kind, block and reqprio).
  if (used > length || count > used / 3) throw Malformed(env, "too few numbers");
  Reader in(env, static_cast<const double*>(data), used);
  Decoder decoder(env, in, refs);
  std::vector<ControlBlock*> blocks;
  ops.clear();
  ops.resize(count);
  try {
    for (Op& op : ops) decoder.Decode(op, blocks);
    if (!in.Done()) throw Malformed(env, "too many numbers");
    std::sort(blocks.begin(), blocks.end());
    if (std::adjacent_find(blocks.begin(), blocks.end()) != blocks.end()) {
      throw ErrorWithCode(env, "ERR_INVALID_ARG_VALUE",
                          "a control block is listed twice");
    }
  } catch (...) {
    for (Op& op : ops) Unpin(env, op);
    ops.clear();
    throw;
  }
}

void Unpin(napi_env env, Op& op) {
  for (void*& pin : op.pins) {
    if (pin) napi_delete_reference(env, static_cast<napi_ref>(pin));
    pin = nullptr;
  }
}

}  // namespace posix_aio
