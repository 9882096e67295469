// The machine's limit for bench/'s many-files scenario: the same files
// written by plain C, with nothing between the threads and the kernel.
//
//   create_files <dir> <count> <bytes> <batches> <threads>
//
// Each batch makes a new directory under <dir> and writes <count> files of
// <bytes> into it, open(O_CREAT|O_TRUNC) + write + close each, on <threads>
// threads taking the next file from a shared counter. Prints files/s over
// the time spent in batches (the mkdir excluded), as the Node.js contenders
// count it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char batch_dir[4096];
static int count;
static size_t bytes;
static char *data;
static atomic_int next_file;

static void die(const char *what, const char *path) {
  fprintf(stderr, "create_files: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static void *write_files(void *unused) {
  (void)unused;
  char path[4200];
  int i;
  while ((i = atomic_fetch_add(&next_file, 1)) < count) {
    snprintf(path, sizeof path, "%s/f%d.bin", batch_dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) die("open", path);
    size_t done = 0;
    while (done < bytes) {
      ssize_t n = write(fd, data + done, bytes - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("write", path);
      done += (size_t)n;
    }
    if (close(fd) != 0) die("close", path);
  }
  return NULL;
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: create_files <dir> <count> <bytes> <batches> <threads>\n");
    return 2;
  }
  const char *dir = argv[1];
  count = atoi(argv[2]);
  bytes = (size_t)atol(argv[3]);
  int batches = atoi(argv[4]);
  int threads = atoi(argv[5]);
  if (count < 1 || batches < 1 || threads < 1 || threads > 256) {
    fprintf(stderr, "create_files: bad arguments\n");
    return 2;
  }
  data = malloc(bytes ? bytes : 1);
  if (data == NULL) die("malloc", "");
  memset(data, 0x61, bytes);
  pthread_t workers[256];
  double busy = 0;
  for (int batch = 0; batch < batches; batch++) {
    snprintf(batch_dir, sizeof batch_dir, "%s/c%d-%d-%d", dir, (int)getpid(), threads, batch);
    if (mkdir(batch_dir, 0777) != 0) die("mkdir", batch_dir);
    atomic_store(&next_file, 0);
    double start = seconds();
    for (int t = 0; t < threads; t++) {
      errno = pthread_create(&workers[t], NULL, write_files, NULL);
      if (errno != 0) die("pthread_create", "");
    }
    for (int t = 0; t < threads; t++) pthread_join(workers[t], NULL);
    busy += seconds() - start;
  }
  printf("%.1f\n", (double)count * batches / busy);
  return 0;
}
