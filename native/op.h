// One operation as every engine sees it, and the op-traits table: one row
// per kind of op, read by the glue (how an op is described from JS), by the
// engines (can it be canceled, go to lio_listio, which io_uring opcode) and
// by the blocking fallback. Adding an op kind is a value in OpKind, its row
// here, and its engine code.
//
// Nothing here knows about JavaScript: the glue keeps its own references in
// the opaque `pins` and `batch` slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/uio.h>

#if defined(AIO_HAVE_URING)
#include <linux/io_uring.h>
#define AIO_URING_OP(name) IORING_OP_##name
#else
#define AIO_URING_OP(name) -1
#endif

namespace posix_aio {

class ControlBlock;

enum class OpKind : uint8_t {
  kRead,
  kWrite,
  kFsync,
  kFdatasync,
  kOpen,
  kClose,
  kFstatSize,
  kReadv,
  kWritev,
  kFtruncate,
  kFstat,
  kWriteFile,
  kFchmod,
  kFchown,
  kFutimes,
  kStat,
  kLstat,
  kAccess,
  kUnlink,
  kRename,
  kMkdir,
  kChmod,
  kUtimes,
  kLink,
  kSymlink,
  kCopyFile,
  kCount,
};

// The steps of kWriteFile, in order.
enum class WriteFileStep : int { kOpen = 0, kWrite = 1, kSync = 2, kClose = 3 };

// A kWriteFile failure: -errno and the step it happened at, in one result
// (errnos are far below 65536). The JS side decodes it (many_files.ts).
inline int64_t WriteFileFailure(WriteFileStep step, int64_t negative_errno) {
  return negative_errno - 65536 * static_cast<int64_t>(step);
}

// kFstat fills this many doubles: dev, mode, nlink, uid, gid, rdev,
// blksize, ino, size, blocks, then seconds and nanoseconds of atime, mtime,
// ctime, birthtime (the order of Node's own stat array).
constexpr size_t kFstatFields = 18;

struct Op {
  // Request, as its kind's arguments filled it in.
  OpKind kind = OpKind::kRead;
  int fd = -1;
  uint8_t* data = nullptr;  // already offset into the pinned buffer
  size_t length = 0;
  int64_t position = 0;     // -1: the current file position
  int reqprio = 0;
  int flags = 0;
  int mode = 0;
  int sync = 0;             // 0 none, 1 fdatasync, 2 fsync
  int64_t owner[2] = {-1, -1};    // uid, gid; -1 leaves one as it is
  double times[2] = {0, 0};       // atime, mtime in seconds since the epoch
  std::string path;
  std::string path2;        // the second path: rename's and link's new one, symlink's link
  std::vector<struct iovec> iov;  // windows of pinned buffers

  // Outcome: bytes, a new fd, a size, or -errno.
  int64_t result = 0;
  // `result` is final: set by whoever finished the op (a pool thread, or
  // the sink), through MarkFinished, so another thread may read it.
  bool finished = false;

  // The glue's: the batch this op belongs to, its place there, the control
  // block it runs for (if any) and the references that pin its buffers.
  void* batch = nullptr;
  uint32_t index = 0;
  bool retired = false;
  ControlBlock* block = nullptr;
  void* pins[2] = {nullptr, nullptr};

  // The engine's own, while the op is in it.
  void* engine_data = nullptr;
};

// What an op takes from its description, in order. Each argument is one
// number of the description, except kBuffer (three: the buffer, the first
// byte, the byte count). The buffer-like ones name a JS value the op pins
// while it is in flight.
enum class Arg : uint8_t {
  kEnd,
  kFd,        // a descriptor, 0..INT_MAX -> fd
  kBuffer,    // a Uint8Array, start, length -> data, length (pinned)
  kPosition,  // -1 or an offset -> position
  kLength,    // a byte count -> length
  kPath,      // a string or a Uint8Array of raw bytes -> path
  kFlags,     // open(2) flags -> flags
  kMode,      // a file mode -> mode
  kSync,      // 0, 1 (fdatasync) or 2 (fsync) -> sync
  kBuffers,   // an array of Uint8Arrays, each taken whole -> iov (pinned)
  kStatOut,   // a Float64Array of kFstatFields or more -> data, length (pinned)
  kOwner,     // a uid, then a gid, each -1 or 0..2^32-2 -> owner
  kTimes,     // atime, then mtime, in seconds (finite) -> times
  kPath2,     // as kPath -> path2
};

constexpr size_t kMaxArgs = 8;

struct OpTraits {
  OpKind kind;
  const char* name;  // as JS names it
  Arg args[kMaxArgs];
  // AIO.cancel, an AbortSignal or flushSync may withdraw it. Never a close:
  // a descriptor is tracked until its close has run.
  bool cancellable;
  // A lio_listio entry (LIO_READ, LIO_WRITE) when it has an offset. (LIO_NOP
  // entries submit nothing: their control blocks are done at once.)
  bool lio;
  int uring_opcode;  // IORING_OP_*, or -1
  // It changes a file: process.exit() waits for it (see ChangesFiles).
  bool lasting;
  // Runs it with ordinary blocking syscalls and stores its result: the
  // thread-pool engine, and the others' fallback.
  void (*blocking)(Op& op);
};

// The blocking fallbacks (blocking.cc).
void ReadBlocking(Op& op);
void WriteBlocking(Op& op);
void FsyncBlocking(Op& op);
void FdatasyncBlocking(Op& op);
void OpenBlocking(Op& op);
void CloseBlocking(Op& op);
void FstatSizeBlocking(Op& op);   // result: st_size of a regular file, else 0
void ReadvBlocking(Op& op);
void WritevBlocking(Op& op);
void FtruncateBlocking(Op& op);   // to `length` bytes
void FstatBlocking(Op& op);       // fills kFstatFields doubles; result 0
void WriteFileBlocking(Op& op);   // open, write, sync, close; see WriteFileFailure
void FchmodBlocking(Op& op);
void FchownBlocking(Op& op);
void FutimesBlocking(Op& op);     // futimens, to the microsecond (as libuv)
void StatBlocking(Op& op);        // fills kFstatFields doubles; result 0
void LstatBlocking(Op& op);       // the same, of a link itself
void AccessBlocking(Op& op);      // access(2), mode: F_OK or R_OK | W_OK | X_OK
void UnlinkBlocking(Op& op);
void RenameBlocking(Op& op);
void MkdirBlocking(Op& op);
void ChmodBlocking(Op& op);
void UtimesBlocking(Op& op);
void LinkBlocking(Op& op);
void SymlinkBlocking(Op& op);     // a link at path2 to path
void CopyFileBlocking(Op& op);    // path to path2, flags: fs.constants.COPYFILE_*, as libuv copies

using A = Arg;
inline constexpr OpTraits kOpTraits[] = {
    // kind, name, arguments, cancellable, lio, io_uring opcode, lasting,
    // blocking
    {OpKind::kRead, "read", {A::kFd, A::kBuffer, A::kPosition}, true, true,
     AIO_URING_OP(READ), false, ReadBlocking},
    {OpKind::kWrite, "write", {A::kFd, A::kBuffer, A::kPosition}, true, true,
     AIO_URING_OP(WRITE), true, WriteBlocking},
    {OpKind::kFsync, "fsync", {A::kFd}, true, false, AIO_URING_OP(FSYNC), true,
     FsyncBlocking},
    {OpKind::kFdatasync, "fdatasync", {A::kFd}, true, false,
     AIO_URING_OP(FSYNC), true, FdatasyncBlocking},
    {OpKind::kOpen, "open", {A::kPath, A::kFlags, A::kMode}, false, false,
     AIO_URING_OP(OPENAT), true, OpenBlocking},
    {OpKind::kClose, "close", {A::kFd}, false, false, AIO_URING_OP(CLOSE), false,
     CloseBlocking},
    {OpKind::kFstatSize, "fstatSize", {A::kFd}, true, false,
     AIO_URING_OP(STATX), false, FstatSizeBlocking},
    {OpKind::kReadv, "readv", {A::kFd, A::kBuffers, A::kPosition}, true, false,
     AIO_URING_OP(READV), false, ReadvBlocking},
    {OpKind::kWritev, "writev", {A::kFd, A::kBuffers, A::kPosition}, true,
     false, AIO_URING_OP(WRITEV), true, WritevBlocking},
    // No io_uring opcode for these (nor for fchmod, fchown, futimes): they
    // run on the pool on every engine.
    {OpKind::kFtruncate, "ftruncate", {A::kFd, A::kLength}, true, false, -1, true,
     FtruncateBlocking},
    {OpKind::kFstat, "fstat", {A::kFd, A::kStatOut}, true, false, -1, false,
     FstatBlocking},
    {OpKind::kWriteFile, "writeFile",
     {A::kPath, A::kFlags, A::kMode, A::kBuffer, A::kPosition, A::kSync},
     false, false, AIO_URING_OP(OPENAT), true, WriteFileBlocking},
    {OpKind::kFchmod, "fchmod", {A::kFd, A::kMode}, true, false, -1, true,
     FchmodBlocking},
    {OpKind::kFchown, "fchown", {A::kFd, A::kOwner}, true, false, -1, true,
     FchownBlocking},
    {OpKind::kFutimes, "futimes", {A::kFd, A::kTimes}, true, false, -1, true,
     FutimesBlocking},
    // By path, on the pool too.
    {OpKind::kStat, "stat", {A::kPath, A::kStatOut}, true, false, -1, false,
     StatBlocking},
    {OpKind::kLstat, "lstat", {A::kPath, A::kStatOut}, true, false, -1, false,
     LstatBlocking},
    {OpKind::kAccess, "access", {A::kPath, A::kMode}, true, false, -1, false,
     AccessBlocking},
    {OpKind::kUnlink, "unlink", {A::kPath}, true, false, -1, true,
     UnlinkBlocking},
    {OpKind::kRename, "rename", {A::kPath, A::kPath2}, true, false, -1, true,
     RenameBlocking},
    {OpKind::kMkdir, "mkdir", {A::kPath, A::kMode}, true, false, -1, true,
     MkdirBlocking},
    {OpKind::kChmod, "chmod", {A::kPath, A::kMode}, true, false, -1, true,
     ChmodBlocking},
    {OpKind::kUtimes, "utimes", {A::kPath, A::kTimes}, true, false, -1, true,
     UtimesBlocking},
    {OpKind::kLink, "link", {A::kPath, A::kPath2}, true, false, -1, true,
     LinkBlocking},
    {OpKind::kSymlink, "symlink", {A::kPath, A::kPath2}, true, false, -1, true,
     SymlinkBlocking},
    {OpKind::kCopyFile, "copyFile", {A::kPath, A::kPath2, A::kFlags}, true, false,
     -1, true, CopyFileBlocking},
};

// Every kind has its row, in OpKind's order.
constexpr bool RowsInOrder() {
  for (size_t i = 0; i < std::size(kOpTraits); ++i) {
    if (static_cast<size_t>(kOpTraits[i].kind) != i) return false;
  }
  return std::size(kOpTraits) == static_cast<size_t>(OpKind::kCount);
}
static_assert(RowsInOrder(), "kOpTraits needs one row per OpKind, in order");

inline const OpTraits& TraitsOf(OpKind kind) {
  return kOpTraits[static_cast<size_t>(kind)];
}

inline void RunBlocking(Op& op) { TraitsOf(op.kind).blocking(op); }

inline void MarkFinished(Op& op) { __atomic_store_n(&op.finished, true, __ATOMIC_RELEASE); }
inline bool IsFinished(const Op& op) { return __atomic_load_n(&op.finished, __ATOMIC_ACQUIRE); }

// What process.exit() waits for: an op that writes, syncs or creates
// (an open that may create or truncate its file; a close changes nothing).
inline bool ChangesFiles(const Op& op) {
  if (op.kind == OpKind::kOpen) return (op.flags & (O_CREAT | O_TRUNC)) != 0;
  return TraitsOf(op.kind).lasting;
}

inline bool IsTransfer(OpKind kind) {
  return kind == OpKind::kRead || kind == OpKind::kWrite;
}

}  // namespace posix_aio
