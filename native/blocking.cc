// The blocking fallback of every op kind: ordinary syscalls, run on a pool
// thread (the op-traits table's last column).
#include "op.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#elif defined(__APPLE__)
#include <copyfile.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

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

// Seconds since the epoch as libuv's fs functions take them (uv_fs_futime),
// so that a file's times come out as fs.utimes would set them: whole
// seconds, then the fraction to the microsecond.
struct timespec ToTimespec(double seconds) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);  // NOLINT
  ts.tv_nsec -= ts.tv_nsec % 1000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000;
    ts.tv_sec -= 1;
  }
  return ts;
}

// preadv/pwritev at op.position. macOS has them only from 11, past this
// build's deployment target, so there each buffer is its own pread/pwrite.
ssize_t VectorAt(const Op& op, bool out) {
#if defined(__APPLE__)
  ssize_t total = 0;
  for (const struct iovec& v : op.iov) {
    ssize_t n = out ? pwrite(op.fd, v.iov_base, v.iov_len, op.position + total)
                    : pread(op.fd, v.iov_base, v.iov_len, op.position + total);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (static_cast<size_t>(n) < v.iov_len) break;
  }
  return total;
#else
  int count = static_cast<int>(op.iov.size());
  return out ? pwritev(op.fd, op.iov.data(), count, op.position)
             : preadv(op.fd, op.iov.data(), count, op.position);
#endif
}

double Seconds(const struct timespec& t) { return static_cast<double>(t.tv_sec); }
double Nanos(const struct timespec& t) { return static_cast<double>(t.tv_nsec); }

// What FillStat describes: a descriptor (path null), or a path, followed
// or (lstat) not.
struct StatTarget {
  int fd;
  const char* path;
  bool follow;
};

// Fills out[kFstatFields] (see kFstatFields in op.h) the way libuv's
// uv_fs_fstat, uv_fs_stat and uv_fs_lstat do, so the values equal fs's:
// statx on Linux (for the real birthtime), (f/l)stat where statx is
// missing or refused.
int FillStat(StatTarget target, double* out) {
#if defined(__linux__) && defined(STATX_BASIC_STATS)
  struct statx sx;
  int rc;
  do {
    rc = target.path == nullptr
             ? statx(target.fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx)
             : statx(AT_FDCWD, target.path, target.follow ? 0 : AT_SYMLINK_NOFOLLOW,
                     STATX_BASIC_STATS | STATX_BTIME, &sx);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    double fields[kFstatFields] = {
        static_cast<double>(makedev(sx.stx_dev_major, sx.stx_dev_minor)),
        static_cast<double>(sx.stx_mode),
        static_cast<double>(sx.stx_nlink),
        static_cast<double>(sx.stx_uid),
        static_cast<double>(sx.stx_gid),
        static_cast<double>(makedev(sx.stx_rdev_major, sx.stx_rdev_minor)),
        static_cast<double>(sx.stx_blksize),
        static_cast<double>(sx.stx_ino),
        static_cast<double>(sx.stx_size),
        static_cast<double>(sx.stx_blocks),
        static_cast<double>(sx.stx_atime.tv_sec),
        static_cast<double>(sx.stx_atime.tv_nsec),
        static_cast<double>(sx.stx_mtime.tv_sec),
        static_cast<double>(sx.stx_mtime.tv_nsec),
        static_cast<double>(sx.stx_ctime.tv_sec),
        static_cast<double>(sx.stx_ctime.tv_nsec),
        static_cast<double>(sx.stx_btime.tv_sec),
        static_cast<double>(sx.stx_btime.tv_nsec),
    };
    std::memcpy(out, fields, sizeof fields);
    return 0;
  }
  // libuv's rule: these mean "no statx here" (old kernel, seccomp, DVS).
  if (errno != EINVAL && errno != EPERM && errno != ENOSYS &&
      errno != EOPNOTSUPP) {
    return -errno;
  }
#endif
  struct stat st;
  int rc2 = target.path == nullptr ? fstat(target.fd, &st)
            : target.follow        ? stat(target.path, &st)
                                   : lstat(target.path, &st);
  if (rc2 != 0) return -errno;
#if defined(__APPLE__)
  const struct timespec &atime = st.st_atimespec, &mtime = st.st_mtimespec,
                        &ctime = st.st_ctimespec, &btime = st.st_birthtimespec;
#elif defined(__FreeBSD__) || defined(__NetBSD__)
  const struct timespec &atime = st.st_atim, &mtime = st.st_mtim,
                        &ctime = st.st_ctim, &btime = st.st_birthtim;
#else
  // No birthtime in struct stat: libuv reports ctime.
  const struct timespec &atime = st.st_atim, &mtime = st.st_mtim,
                        &ctime = st.st_ctim, &btime = st.st_ctim;
#endif
  double fields[kFstatFields] = {
      static_cast<double>(st.st_dev),    static_cast<double>(st.st_mode),
      static_cast<double>(st.st_nlink),  static_cast<double>(st.st_uid),
      static_cast<double>(st.st_gid),    static_cast<double>(st.st_rdev),
      static_cast<double>(st.st_blksize), static_cast<double>(st.st_ino),
      static_cast<double>(st.st_size),   static_cast<double>(st.st_blocks),
      Seconds(atime), Nanos(atime), Seconds(mtime), Nanos(mtime),
      Seconds(ctime), Nanos(ctime), Seconds(btime), Nanos(btime),
  };
  std::memcpy(out, fields, sizeof fields);
  return 0;
}

// kWriteFile with blocking calls: every byte written (short writes are
// continued), then the sync asked for, and the close whatever happened.
int64_t WriteWholeFile(const Op& op) {
  int64_t fd = Retry([&] {
    return open(op.path.c_str(), op.flags | O_CLOEXEC, op.mode);
  });
  if (fd < 0) return WriteFileFailure(WriteFileStep::kOpen, fd);
  int64_t failure = 0;
  size_t done = 0;
  while (done < op.length && failure == 0) {
    int64_t n = Retry([&] {
      return op.position < 0
                 ? write(fd, op.data + done, op.length - done)
                 : pwrite(fd, op.data + done, op.length - done,
                          op.position + done);
    });
    if (n <= 0) {
      // A regular file never takes zero bytes of a non-empty write.
      failure = WriteFileFailure(WriteFileStep::kWrite, n < 0 ? n : -EIO);
    } else {
      done += n;
    }
  }
  if (failure == 0 && op.sync != 0) {
#if defined(__APPLE__)
    int64_t synced = Retry([&] { return fsync(fd); });
#else
    int64_t synced = Retry([&] { return op.sync == 1 ? fdatasync(fd) : fsync(fd); });
#endif
    if (synced < 0) failure = WriteFileFailure(WriteFileStep::kSync, synced);
  }
  // Never retry close: on Linux the fd is gone even after EINTR.
  if (close(fd) != 0 && errno != EINTR && failure == 0) {
    failure = WriteFileFailure(WriteFileStep::kClose, -errno);
  }
  return failure != 0 ? failure : static_cast<int64_t>(done);
}

// Same position rules as reads and writes.
void VectorBlocking(Op& op, bool out) {
  int count = static_cast<int>(op.iov.size());
  op.result = Retry([&] {
    ssize_t n = op.position < 0 ? -1 : VectorAt(op, out);
    if (op.position >= 0 && !(n < 0 && errno == ESPIPE)) return n;
    return out ? writev(op.fd, op.iov.data(), count)
               : readv(op.fd, op.iov.data(), count);
  });
}

}  // namespace

// A pipe or socket has no offset: like glibc's AIO, ignore it there.
void ReadBlocking(Op& op) {
  op.result = Retry([&] {
    ssize_t n = op.position < 0 ? -1
                                : pread(op.fd, op.data, op.length, op.position);
    if (op.position >= 0 && !(n < 0 && errno == ESPIPE)) return n;
    return read(op.fd, op.data, op.length);
  });
}

void WriteBlocking(Op& op) {
  op.result = Retry([&] {
    ssize_t n = op.position < 0
                    ? -1
                    : pwrite(op.fd, op.data, op.length, op.position);
    if (op.position >= 0 && !(n < 0 && errno == ESPIPE)) return n;
    return write(op.fd, op.data, op.length);
  });
}

void FsyncBlocking(Op& op) {
  op.result = Retry([&] { return fsync(op.fd); });
}

void FdatasyncBlocking(Op& op) {
#if defined(__APPLE__)
  op.result = Retry([&] { return fsync(op.fd); });
#else
  op.result = Retry([&] { return fdatasync(op.fd); });
#endif
}

void OpenBlocking(Op& op) {
  op.result = Retry([&] {
    return open(op.path.c_str(), op.flags | O_CLOEXEC, op.mode);
  });
}

void CloseBlocking(Op& op) {
  // Never retry close: on Linux the fd is gone even after EINTR.
  op.result = close(op.fd) == 0 || errno == EINTR ? 0 : -errno;
}

void FstatSizeBlocking(Op& op) {
  struct stat st;
  if (fstat(op.fd, &st) != 0) {
    op.result = -errno;
  } else {
    op.result = S_ISREG(st.st_mode) ? st.st_size : 0;
  }
}

void ReadvBlocking(Op& op) { VectorBlocking(op, false); }

void WritevBlocking(Op& op) { VectorBlocking(op, true); }

void FtruncateBlocking(Op& op) {
  op.result = Retry([&] {
    return ftruncate(op.fd, static_cast<off_t>(op.length));
  });
}

void FchmodBlocking(Op& op) {
  op.result = Retry([&] { return fchmod(op.fd, static_cast<mode_t>(op.mode)); });
}

void FchownBlocking(Op& op) {
  op.result = Retry([&] {
    return fchown(op.fd, static_cast<uid_t>(op.owner[0]), static_cast<gid_t>(op.owner[1]));
  });
}

void FutimesBlocking(Op& op) {
  struct timespec times[2];
  for (int i = 0; i < 2; ++i) times[i] = ToTimespec(op.times[i]);
  op.result = Retry([&] { return futimens(op.fd, times); });
}

void FstatBlocking(Op& op) {
  // The glue checked the buffer's size; never trust it blindly here.
  op.result = op.length < kFstatFields * sizeof(double)
                  ? -EINVAL
                  : FillStat({op.fd, nullptr, true}, reinterpret_cast<double*>(op.data));
}

namespace {

void StatPath(Op& op, bool follow) {
  op.result = op.length < kFstatFields * sizeof(double)
                  ? -EINVAL
                  : FillStat({-1, op.path.c_str(), follow}, reinterpret_cast<double*>(op.data));
}

}  // namespace

void StatBlocking(Op& op) { StatPath(op, true); }

void LstatBlocking(Op& op) { StatPath(op, false); }

void AccessBlocking(Op& op) {
  op.result = Retry([&] { return access(op.path.c_str(), op.mode); });
}

void UnlinkBlocking(Op& op) {
  op.result = Retry([&] { return unlink(op.path.c_str()); });
}

void RenameBlocking(Op& op) {
  op.result = Retry([&] { return rename(op.path.c_str(), op.path2.c_str()); });
}

void MkdirBlocking(Op& op) {
  op.result = Retry([&] { return mkdir(op.path.c_str(), static_cast<mode_t>(op.mode)); });
}

void ChmodBlocking(Op& op) {
  op.result = Retry([&] { return chmod(op.path.c_str(), static_cast<mode_t>(op.mode)); });
}

void UtimesBlocking(Op& op) {
  struct timespec times[2];
  for (int i = 0; i < 2; ++i) times[i] = ToTimespec(op.times[i]);
  op.result = Retry([&] { return utimensat(AT_FDCWD, op.path.c_str(), times, 0); });
}

void LinkBlocking(Op& op) {
  op.result = Retry([&] { return link(op.path.c_str(), op.path2.c_str()); });
}

void SymlinkBlocking(Op& op) {
  op.result = Retry([&] { return symlink(op.path.c_str(), op.path2.c_str()); });
}

void WriteFileBlocking(Op& op) { op.result = WriteWholeFile(op); }

}  // namespace posix_aio

namespace posix_aio {

namespace {

// fs.constants' COPYFILE_* bits (libuv's UV_FS_COPYFILE_*).
constexpr int kCopyExcl = 1;
constexpr int kCopyClone = 2;
constexpr int kCopyCloneForce = 4;

#if !defined(__APPLE__)
// A chunk of `from` at `offset`, read and written at `to`'s position (the
// way libuv's sendfile emulation moves it): bytes moved, or -errno.
ssize_t ReadWriteChunk(int from, int to, off_t offset, size_t length) {
  char buffer[64 * 1024];
  ssize_t n;
  do {
    n = pread(from, buffer, std::min(length, sizeof buffer), offset);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return n < 0 ? -errno : 0;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = write(to, buffer + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -errno;
    done += w;
  }
  return n;
}

// One chunk as libuv's uv_fs_sendfile moves it on Linux: copy_file_range,
// sendfile where that cannot, read and write where neither can (`way`
// remembers which works).
ssize_t CopyChunk(int from, int to, off_t offset, size_t length, int* way) {
#if defined(__linux__)
  for (;;) {
    ssize_t n;
    if (*way == 0) {
      loff_t in = offset;
      n = copy_file_range(from, &in, to, nullptr, length, 0);
      if (n < 0 && (errno == ENOSYS || errno == ENOTSUP || errno == EXDEV)) {
        *way = 1;
        continue;
      }
    } else if (*way == 1) {
      off_t in = offset;
      n = sendfile(to, from, &in, length);
      if (n < 0 && (errno == EINVAL || errno == EIO || errno == ENOTSOCK || errno == EXDEV)) {
        *way = 2;
        continue;
      }
    } else {
      return ReadWriteChunk(from, to, offset, length);
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -errno : n;
  }
#else
  (void)way;
  return ReadWriteChunk(from, to, offset, length);
#endif
}

// The first `length` bytes of `from`, appended to `to`: 0 or -errno.
int64_t CopyBytes(int from, int to, off_t length) {
  int way = 0;
  for (off_t offset = 0; offset < length;) {
    size_t chunk = static_cast<size_t>(std::min<off_t>(length - offset, 0x7ffff000));
    ssize_t n = CopyChunk(from, to, offset, chunk, &way);
    if (n < 0) return n;
    if (n == 0) break;  // the source shrank
    offset += n;
  }
  return 0;
}

// The destination is open: unless it is the source itself, it is emptied,
// given the source's mode, then cloned or filled.
int64_t CopyInto(int src, int dst, const struct stat& source, int flags) {
  if ((flags & kCopyExcl) == 0) {
    struct stat target;
    if (fstat(dst, &target) != 0) return -errno;
    if (target.st_dev == source.st_dev && target.st_ino == source.st_ino) return 0;
    // As libuv: EACCES on a new, empty file (ceph-fuse) is no failure.
    if (ftruncate(dst, 0) != 0) {
      int error = errno;
      if (error != EACCES || target.st_size > 0) return -error;
    }
  }
  if (fchmod(dst, source.st_mode) != 0) return -errno;
#if defined(FICLONE)
  if (flags & (kCopyClone | kCopyCloneForce)) {
    if (ioctl(dst, FICLONE, src) == 0) return 0;
    if (flags & kCopyCloneForce) return -errno;
  }
#else
  if (flags & kCopyCloneForce) return -ENOSYS;
#endif
  return CopyBytes(src, dst, source.st_size);
}
#endif

// libuv's uv__fs_copyfile: the destination gets the source's mode; the
// same file is left alone; a failed copy removes the destination.
int64_t CopyFile(const Op& op) {
#if defined(__APPLE__)
  copyfile_flags_t flags = COPYFILE_ALL;
  if (op.flags & kCopyExcl) flags |= COPYFILE_EXCL;
  if (op.flags & kCopyClone) flags |= COPYFILE_CLONE;
  if (op.flags & kCopyCloneForce) flags |= COPYFILE_CLONE_FORCE;
  return Retry([&] { return copyfile(op.path.c_str(), op.path2.c_str(), nullptr, flags); });
#else
  int64_t from = Retry([&] { return open(op.path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (from < 0) return from;
  int src = static_cast<int>(from);
  int dst = -1;
  int64_t result = 0;
  struct stat source;
  if (fstat(src, &source) != 0) {
    result = -errno;
  } else {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | ((op.flags & kCopyExcl) ? O_EXCL : 0);
    int64_t to = Retry([&] { return open(op.path2.c_str(), flags, source.st_mode); });
    if (to < 0) {
      result = to;
    } else {
      dst = static_cast<int>(to);
      result = CopyInto(src, dst, source, op.flags);
    }
  }
  if (close(src) != 0 && result == 0) result = -errno;
  if (dst >= 0) {
    if (close(dst) != 0 && result == 0) result = -errno;
    if (result != 0) unlink(op.path2.c_str());
  }
  return result;
#endif
}

}  // namespace

void CopyFileBlocking(Op& op) { op.result = CopyFile(op); }

}  // namespace posix_aio
