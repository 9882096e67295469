#include "op.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace posix_aio {

namespace {

// Retries a syscall interrupted by a signal; returns its result or -errno.
template <typename Call>
int64_t Retry(Call call) {
  for (;;) {
    int64_t r = call();
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
  }
}

}  // namespace

void RunBlocking(Op& op) {
  switch (op.code) {
    // A pipe or socket has no offset: like glibc's AIO, ignore it there.
    case OpCode::kRead:
      op.result = Retry([&] {
        ssize_t n = op.position < 0
                        ? -1
                        : pread(op.fd, op.data, op.length, op.position);
        if (op.position >= 0 && !(n < 0 && errno == ESPIPE)) return n;
        return read(op.fd, op.data, op.length);
      });
      return;
    case OpCode::kWrite:
      op.result = Retry([&] {
        ssize_t n = op.position < 0
                        ? -1
                        : pwrite(op.fd, op.data, op.length, op.position);
        if (op.position >= 0 && !(n < 0 && errno == ESPIPE)) return n;
        return write(op.fd, op.data, op.length);
      });
      return;
    case OpCode::kFsync:
      op.result = Retry([&] { return fsync(op.fd); });
      return;
    case OpCode::kFdatasync:
#if defined(__APPLE__)
      op.result = Retry([&] { return fsync(op.fd); });
#else
      op.result = Retry([&] { return fdatasync(op.fd); });
#endif
      return;
    case OpCode::kNop:
      op.result = 0;
      return;
    case OpCode::kOpen:
      op.result = Retry([&] {
        return open(op.path.c_str(), op.flags | O_CLOEXEC, op.mode);
      });
      return;
    case OpCode::kClose:
      // Never retry close: on Linux the fd is gone even after EINTR.
      op.result = close(op.fd) == 0 || errno == EINTR ? 0 : -errno;
      return;
    case OpCode::kFstatSize: {
      struct stat st;
      if (fstat(op.fd, &st) != 0) {
        op.result = -errno;
      } else {
        op.result = S_ISREG(st.st_mode) ? st.st_size : 0;
      }
      return;
    }
  }
  op.result = -EINVAL;
}

}  // namespace posix_aio
