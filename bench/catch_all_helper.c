/* SPDX-License-Identifier: MIT */
/* The two ends of bench/catch_all.sh (issue 15), static C so that neither costs more than
 * svscan's catch-all it measures:
 *   catch_all_helper write ID LINES   writes LINES lines of 100 bytes ("ID-SEQ-xxx...\n") to
 *                                     stdout in 64 KiB writes, then waits forever;
 *   catch_all_helper read SERVICES LINES
 *                                     reads svscan's stdout until every service's LINES lines
 *                                     came, checks each is whole, labelled and in order, and
 *                                     prints the bytes and seconds from first to last byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int writer(const char* id, long lines) {
  static char buffer[65536];
  size_t used = 0;
  for (long seq = 0; seq < lines; ++seq) {
    char line[101];
    int n = snprintf(line, sizeof line, "%s-%ld-", id, seq);
    memset(line + n, 'x', (size_t)(99 - n));
    line[99] = '\n';
    if (used + 100 > sizeof buffer) {
      if (write(1, buffer, used) != (ssize_t)used) return 1;
      used = 0;
    }
    memcpy(buffer + used, line, 100);
    used += 100;
  }
  if (used > 0 && write(1, buffer, used) != (ssize_t)used) return 1;
  for (;;) pause();
}

/* Parses a decimal number at *p, advancing it; -1 when there is none. */
static long number(const char** p, const char* end) {
  long value = -1;
  while (*p < end && **p >= '0' && **p <= '9') {
    value = (value < 0 ? 0 : value * 10) + (**p - '0');
    ++*p;
  }
  return value;
}

/* "sID: sID-SEQ-" then x up to 99 bytes after the label: whole, labelled, in order. */
static int check_line(const char* line, const char* end, long services, long* next) {
  const char* p = line;
  if (p == end || *p++ != 's') return -1;
  long label = number(&p, end);
  if (end - p < 3 || p[0] != ':' || p[1] != ' ' || p[2] != 's') return -1;
  const char* body = p + 2;
  p += 3;
  long id = number(&p, end);
  if (p == end || *p++ != '-') return -1;
  long seq = number(&p, end);
  if (label != id || id < 0 || id >= services || seq != next[id] || end - body != 99) return -1;
  return (int)id;
}

static int reader(long services, long lines) {
  static char buffer[1 << 20];
  static char carry[8192];
  long* next = calloc((size_t)services, sizeof *next);
  size_t held = 0;
  long done = 0, bad = 0;
  unsigned long long bytes = 0;
  double first = 0;
  while (done < services) {
    ssize_t n = read(0, buffer, sizeof buffer);
    if (n <= 0) break;
    if (first == 0) first = now();
    bytes += (unsigned long long)n;
    const char* p = buffer;
    const char* end = buffer + n;
    while (p < end) {
      const char* newline = memchr(p, '\n', (size_t)(end - p));
      if (newline == NULL) {
        size_t take = (size_t)(end - p);
        if (held + take > sizeof carry) take = sizeof carry - held;
        memcpy(carry + held, p, take);
        held += take;
        break;
      }
      const char* line = p;
      const char* line_end = newline;
      if (held > 0) {
        size_t take = (size_t)(newline - p);
        if (held + take > sizeof carry) take = sizeof carry - held;
        memcpy(carry + held, p, take);
        line = carry;
        line_end = carry + held + take;
        held = 0;
      }
      int id = check_line(line, line_end, services, next);
      if (id < 0) ++bad;
      else if (++next[id] == lines) ++done;
      p = newline + 1;
    }
  }
  double seconds = now() - first;
  printf("%llu %.6f %ld\n", bytes, seconds, bad);
  return bad == 0 && done == services ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "write") == 0) return writer(argv[2], atol(argv[3]));
  if (argc == 4 && strcmp(argv[1], "read") == 0) return reader(atol(argv[2]), atol(argv[3]));
  fprintf(stderr, "usage: catch_all_helper write ID LINES | read SERVICES LINES\n");
  return 100;
}
