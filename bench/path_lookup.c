/* SPDX-License-Identifier: MIT
 * path_lookup: what one knob lookup costs supervise, by the way it names the file.
 * supervise reaches its service directory as /proc/self/fd/N/NAME (so that a rename of
 * the directory changes nothing); openat(N, NAME) reaches the same file without walking
 * procfs. Times ROUNDS failed opens of a missing knob (the common case at start: most
 * knobs are absent) both ways, and ROUNDS stats of an existing file, in ns per call.
 *   cc -O2 -o /tmp/path_lookup bench/path_lookup.c && /tmp/path_lookup DIR [ROUNDS]
 * DIR must hold a file named run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: path_lookup DIR [ROUNDS]\n");
    return 100;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 200000;
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    perror(argv[1]);
    return 111;
  }
  char proc_missing[64], proc_run[64];
  snprintf(proc_missing, sizeof proc_missing, "/proc/self/fd/%d/timeout-kill", dir);
  snprintf(proc_run, sizeof proc_run, "/proc/self/fd/%d/run", dir);
  struct stat st;
  double t0 = now_ns();
  for (int i = 0; i < rounds; i++) (void)open(proc_missing, O_RDONLY | O_CLOEXEC);
  double t1 = now_ns();
  for (int i = 0; i < rounds; i++) (void)openat(dir, "timeout-kill", O_RDONLY | O_CLOEXEC);
  double t2 = now_ns();
  for (int i = 0; i < rounds; i++) (void)stat(proc_run, &st);
  double t3 = now_ns();
  for (int i = 0; i < rounds; i++) (void)fstatat(dir, "run", &st, 0);
  double t4 = now_ns();
  printf("missing knob, open(/proc/self/fd/N/NAME): %.0f ns\n", (t1 - t0) / rounds);
  printf("missing knob, openat(N, NAME):            %.0f ns\n", (t2 - t1) / rounds);
  printf("run, stat(/proc/self/fd/N/run):           %.0f ns\n", (t3 - t2) / rounds);
  printf("run, fstatat(N, run):                     %.0f ns\n", (t4 - t3) / rounds);
  return 0;
}
