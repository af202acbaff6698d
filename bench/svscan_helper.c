/* SPDX-License-Identifier: MIT
 * svscan_helper: the one program the svscan benchmarks run under every supervisor, so
 * svtree, runit and s6 start exactly the same services.
 * Installed as a service's `run` (argc 1, no arguments), it reads SVSCAN_BENCH_MARKS and
 * SVSCAN_BENCH_LOGS from the environment every supervisor passes on: in a log/ directory it
 * is the logger (marks itself up, copies stdin to LOGS/<cwd>), elsewhere the service.
 *   svscan_helper run MARKS     a service: touch MARKS/<cwd>, then wait; on SIGTERM print
 *                               "bye", touch MARKS/<cwd>.term, exit 0
 *   svscan_helper log FILE      a logger: copy stdin to FILE until end of file
 *   svscan_helper start MARKS N TIMEOUT_MS CMD...
 *                               start CMD, print "MS PID" once MARKS holds N entries
 *   svscan_helper up runit|s6 SCANDIR N WITH_LOG TIMEOUT_MS CMD...
 *                               start CMD, print "MS PID" once the status record of every
 *                               SCANDIR/sI (and SCANDIR/sI/log with WITH_LOG 1), I < N, says
 *                               up, as a client reads it: runit's (runsv, svtree) byte 19 ==
 *                               1; s6's pid != 0 and not finishing
 *   svscan_helper stop PID SIGNAL WAIT_PID TIMEOUT_MS
 *                               send SIGNAL to PID, print the ms until WAIT_PID has exited
 *   svscan_helper detect MARKS FROM TO TIMEOUT_MS
 *                               rename FROM to TO, print the microseconds until TO's mark
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char mark_path[PATH_MAX + 64];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void mark_name(const char* marks, const char* dir, const char* suffix) {
  char flat[PATH_MAX];
  size_t i = 0;
  for (; dir[i] != '\0' && i < sizeof flat - 1; ++i) flat[i] = dir[i] == '/' ? '_' : dir[i];
  flat[i] = '\0';
  snprintf(mark_path, sizeof mark_path, "%s/%s%s", marks, flat, suffix);
}

static void touch(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static void on_term(int signo) {
  (void)signo;
  static const char bye[] = "bye\n";
  (void)!write(1, bye, sizeof bye - 1);
  size_t n = strlen(mark_path);
  memcpy(mark_path + n, ".term", 6);
  touch(mark_path);
  _exit(0);
}

static int run(const char* marks) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) return 111;
  mark_name(marks, cwd, "");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  static const char hello[] = "hello\n";
  (void)!write(1, hello, sizeof hello - 1);
  touch(mark_path);
  for (;;) pause();
}

static int copy_log(const char* file) {
  int out = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return 111;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(0, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    if (write(out, buffer, (size_t)n) != n) return 111;
  }
}

static int count_entries(int inotify_fd, int* count) {
  char buffer[65536] __attribute__((aligned(8)));
  ssize_t n = read(inotify_fd, buffer, sizeof buffer);
  if (n <= 0) return -1;
  for (ssize_t at = 0; at < n;) {
    struct inotify_event* e = (struct inotify_event*)(buffer + at);
    if ((e->mask & IN_CREATE) != 0 && e->len > 0 && strstr(e->name, ".term") == NULL) ++*count;
    at += (ssize_t)(sizeof *e + e->len);
  }
  return 0;
}

static int start(const char* marks, int wanted, int timeout_ms, char** argv) {
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0 || inotify_add_watch(fd, marks, IN_CREATE) < 0) return 111;
  int count = 0;
  double began = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    /* Not our stdout: a `$(...)` around us must see EOF when we exit, not when the tree
     * we started ends. */
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, 1);
    setsid();
    execvp(argv[0], argv);
    _exit(127);
  }
  while (count < wanted) {
    struct pollfd p = {fd, POLLIN, 0};
    int left = timeout_ms - (int)(now_ms() - began);
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      fprintf(stderr, "svscan_helper: only %d of %d up\n", count, wanted);
      printf("timeout %d\n", (int)pid);
      return 1;
    }
    if (count_entries(fd, &count) != 0) return 111;
  }
  printf("%.1f %d\n", now_ms() - began, (int)pid);
  return 0;
}

/* The "up" condition every suite is held to: the record a client (sv, s6-svstat, svctl)
 * reads. runit's 20-byte record (svtree keeps it): byte 19 is 1 in state run. s6 2.11's
 * 35-byte s6_svstatus_pack: stamp 12, readystamp 12, pid u64 big-endian at 24, wstat u16
 * at 32, flags at 34 (bit 1: finish is running); later s6 inserts the pgid (u64 at 32:
 * 43 bytes, flags at 42). s6-svstat says up when the pid is not 0 and finish is not
 * running. */
static int s6_records;

static int status_says_up(const char* dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/supervise/status", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char b[64];
  ssize_t n = read(fd, b, sizeof b);
  close(fd);
  if (s6_records) {
    if (n < 35) return 0;
    uint64_t pid = 0;
    for (int i = 0; i < 8; i++) pid = (pid << 8) | b[24 + i];
    return pid != 0 && (b[n >= 43 ? 42 : 34] & 2) == 0;
  }
  return n >= 20 && b[19] == 1;
}

struct watched {
  char dir[PATH_MAX]; /* the service directory */
  int dir_wd;         /* watch on dir: supervise/ appears */
  int sup_wd;         /* watch on dir/supervise: status replaced */
  int up;
};

static int watch_supervise(int in, struct watched* w) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/supervise", w->dir);
  /* Not there yet (or not a directory yet): its IN_CREATE on dir will come. */
  w->sup_wd = inotify_add_watch(in, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
  return w->sup_wd;
}

static int up(const char* scandir, int services, int with_log, int timeout_ms, char** argv) {
  int n = with_log ? 2 * services : services;
  struct watched* w = calloc((size_t)n, sizeof *w);
  int in = inotify_init1(IN_CLOEXEC);
  if (w == NULL || in < 0) return 111;
  for (int i = 0; i < n; i++) {
    snprintf(w[i].dir, sizeof w[i].dir, "%s/s%d%s", scandir, i % services,
             i >= services ? "/log" : "");
    w[i].sup_wd = -1;
    w[i].dir_wd = inotify_add_watch(in, w[i].dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    if (w[i].dir_wd < 0) { perror(w[i].dir); return 111; }
  }
  /* watch descriptors are small integers handed out in order: map them back. */
  int max_wd = 8 * n + 64;
  int* owner = malloc((size_t)max_wd * sizeof *owner);
  if (owner == NULL) return 111;
  for (int i = 0; i < max_wd; i++) owner[i] = -1;
  for (int i = 0; i < n; i++) if (w[i].dir_wd < max_wd) owner[w[i].dir_wd] = i;
  int count = 0;
  double began = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, 1);
    setsid();
    execvp(argv[0], argv);
    _exit(127);
  }
  char buffer[65536] __attribute__((aligned(8)));
  while (count < n) {
    struct pollfd p = {in, POLLIN, 0};
    int left = timeout_ms - (int)(now_ms() - began);
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      fprintf(stderr, "svscan_helper: only %d of %d up\n", count, n);
      printf("timeout %d\n", (int)pid);
      return 1;
    }
    ssize_t got = read(in, buffer, sizeof buffer);
    if (got <= 0) return 111;
    for (ssize_t at = 0; at < got;) {
      struct inotify_event* e = (struct inotify_event*)(buffer + at);
      at += (ssize_t)(sizeof *e + e->len);
      if ((e->mask & IN_Q_OVERFLOW) != 0) {
        /* Events were lost: look at every record not yet up. */
        for (int i = 0; i < n; i++) {
          if (w[i].up) continue;
          if (w[i].sup_wd < 0 && watch_supervise(in, &w[i]) >= 0 && w[i].sup_wd < max_wd)
            owner[w[i].sup_wd] = i;
          if (status_says_up(w[i].dir)) { w[i].up = 1; ++count; }
        }
        continue;
      }
      if (e->wd < 0 || e->wd >= max_wd || owner[e->wd] < 0) continue;
      struct watched* s = &w[owner[e->wd]];
      if (s->up) continue;
      if (e->wd == s->dir_wd) {
        if (e->len == 0 || strcmp(e->name, "supervise") != 0 || s->sup_wd >= 0) continue;
        if (watch_supervise(in, s) < 0) continue;
        if (s->sup_wd >= max_wd) return 111;
        owner[s->sup_wd] = owner[e->wd];
        /* It may have been published before the watch was set. */
      } else if (e->len == 0 || strcmp(e->name, "status") != 0) {
        continue;
      }
      if (status_says_up(s->dir)) { s->up = 1; ++count; }
    }
  }
  printf("%.1f %d\n", now_ms() - began, (int)pid);
  return 0;
}

static int detect(const char* marks, const char* from, const char* to, int timeout_ms) {
  char absolute[PATH_MAX];
  if (realpath(from, absolute) == NULL) return 111;
  /* The mark is named after the run's cwd: the service's new path. */
  char to_dir[PATH_MAX];
  snprintf(to_dir, sizeof to_dir, "%s", to);
  char* slash = strrchr(to_dir, '/');
  if (slash == NULL) return 100;
  *slash = '\0';
  char to_abs[PATH_MAX];
  if (realpath(to_dir, to_abs) == NULL) return 111;
  char target[PATH_MAX + 300];
  snprintf(target, sizeof target, "%s/%s", to_abs, slash + 1);
  mark_name(marks, target, "");
  const char* want = strrchr(mark_path, '/') + 1;
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0 || inotify_add_watch(fd, marks, IN_CREATE) < 0) return 111;
  double began = now_ms();
  if (rename(from, to) != 0) return 111;
  char buffer[65536] __attribute__((aligned(8)));
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int left = timeout_ms - (int)(now_ms() - began);
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      printf("timeout\n");
      return 1;
    }
    ssize_t n = read(fd, buffer, sizeof buffer);
    for (ssize_t at = 0; at < n;) {
      struct inotify_event* e = (struct inotify_event*)(buffer + at);
      if (e->len > 0 && strcmp(e->name, want) == 0) {
        printf("%.0f\n", (now_ms() - began) * 1000.0);
        return 0;
      }
      at += (ssize_t)(sizeof *e + e->len);
    }
  }
}

static int as_run_file(void) {
  const char* marks = getenv("SVSCAN_BENCH_MARKS");
  const char* logs = getenv("SVSCAN_BENCH_LOGS");
  char cwd[PATH_MAX];
  if (marks == NULL || getcwd(cwd, sizeof cwd) == NULL) return 111;
  size_t n = strlen(cwd);
  if (n > 4 && strcmp(cwd + n - 4, "/log") == 0) {
    mark_name(marks, cwd, "");
    touch(mark_path);
    if (logs == NULL) return 111;
    mark_name(logs, cwd, "");
    return copy_log(mark_path);
  }
  return run(marks);
}

static int stop(pid_t pid, int signo, pid_t wait_pid, int timeout_ms) {
  int fd = (int)syscall(SYS_pidfd_open, wait_pid, 0);
  if (fd < 0) return 111;
  double began = now_ms();
  if (kill(pid, signo) != 0) return 111;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) {
    printf("timeout\n");
    return 1;
  }
  printf("%.1f\n", now_ms() - began);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 6 && strcmp(argv[1], "stop") == 0)
    return stop(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  /* Started by svscan as its `supervise DIR` (SVTREE_SUPERVISE=this helper): be the
   * service at once, to time svscan's own share of the detection latency. */
  if (argc == 2 && strcmp(argv[0], "supervise") == 0) {
    if (chdir(argv[1]) != 0) return 111;
    return as_run_file();
  }
  /* s6-supervise passes run an argument of its own: recognise the name instead. */
  const char* base = strrchr(argv[0], '/');
  if (argc == 1 || strcmp(base != NULL ? base + 1 : argv[0], "run") == 0) return as_run_file();
  if (argc >= 3 && strcmp(argv[1], "run") == 0) return run(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "log") == 0) return copy_log(argv[2]);
  if (argc >= 6 && strcmp(argv[1], "start") == 0)
    return start(argv[2], atoi(argv[3]), atoi(argv[4]), argv + 5);
  if (argc >= 9 && strcmp(argv[1], "up") == 0) {
    s6_records = strcmp(argv[2], "s6") == 0;
    return up(argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), argv + 7);
  }
  if (argc >= 6 && strcmp(argv[1], "detect") == 0)
    return detect(argv[2], argv[3], argv[4], atoi(argv[5]));
  fprintf(stderr, "svscan_helper: usage: run MARKS | log FILE | start MARKS N MS CMD... | "
                  "up runit|s6 SCANDIR N LOG MS CMD... | detect MARKS FROM TO MS\n");
  return 100;
}
