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
  if (argc >= 6 && strcmp(argv[1], "detect") == 0)
    return detect(argv[2], argv[3], argv[4], atoi(argv[5]));
  fprintf(stderr, "svscan_helper: usage: run MARKS | log FILE | start MARKS N MS CMD... | "
                  "detect MARKS FROM TO MS\n");
  return 100;
}
