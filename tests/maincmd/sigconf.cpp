// SPDX-License-Identifier: MIT
// sigconf: after tini's test/sigconf/sigconf-test.c. Ignores TTOU, SEGV and INT, blocks
// TTIN, ILL and TERM, then execs its arguments: the init under test must pass that state
// on to its main command (and must still stop on a TERM it had blocked).
#include <signal.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  signal(SIGTTOU, SIG_IGN);
  signal(SIGSEGV, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTTIN);
  sigaddset(&set, SIGILL);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  execvp(argv[1], argv + 1);
  return 127;
}
