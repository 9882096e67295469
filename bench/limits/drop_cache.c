// Evicts a file from the page cache, so that the next read of it comes from
// the disk: bench/'s cold stream reads.
//
//   drop_cache <file>
//
// fdatasync first (a dirty page cannot be dropped), then
// posix_fadvise(POSIX_FADV_DONTNEED) over the whole file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: drop_cache <file>\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "drop_cache: open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  if (fdatasync(fd) != 0) {
    fprintf(stderr, "drop_cache: fdatasync %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (rc != 0) {
    fprintf(stderr, "drop_cache: posix_fadvise %s: %s\n", argv[1], strerror(rc));
    return 1;
  }
  if (close(fd) != 0) {
    fprintf(stderr, "drop_cache: close %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  return 0;
}
