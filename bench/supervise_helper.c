// SPDX-License-Identifier: MIT
// Benchmark helper for bench/supervise_*.sh: control round trip of one supervisor, i.e. the
// time from writing `k` to supervise/control until supervise/status names a new pid.
// "Up" is what a client reads, the same condition as bench/svscan_helper.c's: runit's
// record (runsv and svtree: byte 19 == 1, pid little-endian at byte 12) and s6's
// (s6-supervise: pid big-endian, 8 bytes at byte 24, not finishing). Waits with inotify
// on supervise/ (every supervisor renames status.new over status), never sleeps while
// timing.
//   supervise_helper roundtrip runit|s6 SERVICE_DIR ROUNDS
// Prints one line per round ("us N"), then "median_us N".
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static int s6_format;
static char status_path[4096];

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long read_pid(void) {
  unsigned char buf[64];
  int fd = open(status_path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (s6_format) {
    /* s6 2.11: 35 bytes, flags at 34; later s6 adds the pgid: 43 bytes, flags at 42.
     * Up, as s6-svstat says it: a pid, and finish (flag bit 1) not running. */
    if (n < 35) return -1;
    if ((buf[n >= 43 ? 42 : 34] & 2) != 0) return 0;
    uint64_t pid = 0;
    for (int i = 0; i < 8; i++) pid = (pid << 8) | buf[24 + i];
    return (long)pid;
  }
  if (n < 20) return -1;
  if (buf[19] != 1) return 0; /* not in state run */
  return (long)(buf[12] | (buf[13] << 8) | (buf[14] << 16) | ((uint32_t)buf[15] << 24));
}

static int cmp(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 5 || strcmp(argv[1], "roundtrip") != 0) {
    fprintf(stderr, "usage: supervise_helper roundtrip runit|s6 SERVICE_DIR ROUNDS\n");
    return 100;
  }
  s6_format = strcmp(argv[2], "s6") == 0;
  const char* dir = argv[3];
  int rounds = atoi(argv[4]);
  char control[4096], supervise[4096];
  snprintf(status_path, sizeof status_path, "%s/supervise/status", dir);
  snprintf(control, sizeof control, "%s/supervise/control", dir);
  snprintf(supervise, sizeof supervise, "%s/supervise", dir);
  long long* took = calloc((size_t)rounds, sizeof *took);
  int in = inotify_init1(IN_CLOEXEC);
  if (in < 0 || inotify_add_watch(in, supervise, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    perror("inotify");
    return 111;
  }
  for (int r = 0; r < rounds; r++) {
    /* Every supervisor throttles a run that lived under a second: let it live 1.2 s. */
    usleep(1200000);
    long old = read_pid();
    if (old <= 0) { fprintf(stderr, "service not up\n"); return 1; }
    char drain[4096];
    int fl = fcntl(in, F_GETFL);
    fcntl(in, F_SETFL, fl | O_NONBLOCK);
    while (read(in, drain, sizeof drain) > 0) {}
    fcntl(in, F_SETFL, fl);
    int cfd = open(control, O_WRONLY | O_NONBLOCK);
    if (cfd < 0) { perror(control); return 111; }
    long long t0 = now_ns();
    if (write(cfd, "k", 1) != 1) { perror("write"); return 111; }
    close(cfd);
    for (;;) {
      long pid = read_pid();
      if (pid > 0 && pid != old) break;
      if (read(in, drain, sizeof drain) < 0) { perror("read"); return 111; }
    }
    took[r] = (now_ns() - t0) / 1000;
    printf("us %lld\n", took[r]);
  }
  qsort(took, (size_t)rounds, sizeof *took, cmp);
  printf("median_us %lld\n", took[rounds / 2]);
  return 0;
}
