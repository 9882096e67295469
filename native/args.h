// JS values -> C++: the conversions and range checks every export uses, and
// the decoding of a batch's description into Ops (DecodeOps), driven by the
// op-traits table. A bad value throws a Node-style error (ERR_OUT_OF_RANGE,
// ERR_INVALID_ARG_TYPE, ...); nothing the kernel sees is trusted to JS.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "op.h"

namespace posix_aio {

Napi::Error ErrorWithCode(Napi::Env env, const char* code,
                          const std::string& message, bool range = false);

// A non-negative integral double no larger than 2^53 - 1.
uint64_t ToIndex(Napi::Env env, double value, const char* name);
uint64_t ToIndex(const Napi::Value& value, const char* name);

// The most buffers one readv/writev takes (POSIX guarantees 16).
size_t IovMax();

// Decodes `count` ops into `ops` from the first `used` numbers of a
// batch's description: for each op, its kind, the control block it runs for
// (the index of a NativeControlBlock in `refs`, or -1) and its reqprio,
// then its kind's arguments (op.h, Arg) as numbers, every non-number
// argument being the index of a value in `refs`, whose buffers the op pins.
// Throws if any op is malformed, having released every pin it made: then
// nothing of the batch exists.
void DecodeOps(Napi::Env env, const Napi::Value& slots, size_t used,
               size_t count, const Napi::Array& refs, std::vector<Op>& ops);

// Releases the references that pin an op's buffers. Loop thread only.
void Unpin(napi_env env, Op& op);

}  // namespace posix_aio
