// One in-flight operation, as every engine sees it. Engines read the request
// fields, write `result`, and hand the op back through the CompletionSink.
// Nothing here knows about JavaScript: the glue keeps its own references in
// the opaque `pins` slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/uio.h>

#if defined(AIO_HAVE_POSIX_AIO)
#include <aio.h>
#endif

namespace posix_aio {

enum class OpCode : uint8_t {
  kRead,
  kWrite,
  kFsync,
  kFdatasync,
  kNop,
  kOpen,
  kClose,
  kFstatSize,  // result: st_size of a regular file, 0 for anything else
  kReadv,      // preadv into `iov` (position -1: readv at the current one)
  kWritev,     // pwritev from `iov`, likewise
  kFtruncate,  // ftruncate to `position` bytes
  // Fills `data` (kFstatFields doubles, `length` bytes) with, in order: dev,
  // mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, then seconds
  // and nanoseconds of atime, mtime, ctime, birthtime: the order of Node's
  // own stat array, so the JS side builds fs.Stats exactly as Node does.
  kFstat,
  // A whole file in one op: open `path` (`flags`, `mode`), write `data` /
  // `length` at `position` (-1: the current one, for O_APPEND), fdatasync
  // (`sync` 1) or fsync (`sync` 2), close. Result: the bytes written (fewer
  // than `length` only where an engine could not finish them), or a
  // WriteFileFailure.
  kWriteFile,
};

// The steps of kWriteFile, in order.
enum class WriteFileStep : int { kOpen = 0, kWrite = 1, kSync = 2, kClose = 3 };

// A kWriteFile failure: -errno and the step it happened at, in one result
// (errnos are far below 65536). The JS side decodes it (many_files.ts).
inline int64_t WriteFileFailure(WriteFileStep step, int64_t negative_errno) {
  return negative_errno - 65536 * static_cast<int64_t>(step);
}

constexpr size_t kFstatFields = 18;

struct Op {
  // Request.
  OpCode code = OpCode::kNop;
  int fd = -1;
  uint8_t* data = nullptr;  // already offset into the pinned buffer
  size_t length = 0;
  int64_t position = 0;
  int reqprio = 0;
  std::string path;  // kOpen, kWriteFile
  int flags = 0;     // kOpen, kWriteFile
  int mode = 0;      // kOpen, kWriteFile
  std::vector<struct iovec> iov;  // kReadv/kWritev: windows of pinned buffers
  int sync = 0;      // kWriteFile: 0 none, 1 fdatasync, 2 fsync

  // Outcome: bytes, a new fd, a size, or -errno.
  int64_t result = 0;

  // Delivery: which JS request this op belongs to, and where in it.
  uint32_t token = 0;
  uint32_t index = 0;
  void* pins[2] = {nullptr, nullptr};  // owned by the glue, opaque here
  void* owner = nullptr;  // the ControlBlock embedding this op, if any
  void* engine_data = nullptr;  // the engine's own, while the op is in it

#if defined(AIO_HAVE_POSIX_AIO)
  struct aiocb aiocb {};  // the real control block the posix engine submits
#endif
};

// Runs `op` with ordinary blocking syscalls and stores its result. Used by
// the thread-pool engine, and by others for calls they cannot make async.
void RunBlocking(Op& op);

// True for the ops that move bytes through a buffer.
inline bool IsTransfer(OpCode code) {
  return code == OpCode::kRead || code == OpCode::kWrite;
}

}  // namespace posix_aio
