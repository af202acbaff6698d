// SPDX-License-Identifier: MIT
// print_signals: the main command of the maincmd suite, after dumb-init's
// tests/lib/print_signals.py. Prints "ready (pid: N)", then the number of every signal it
// gets, one per line. After TSTP, TTIN or TTOU it stops itself, as a shell job would.
// `print_signals exit-on-term CODE`: exits CODE after printing TERM (an app trapping TERM).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int exit_on_term = -1;

void print_number(int n) {
  char text[16];
  int at = sizeof text;
  text[--at] = '\n';
  do {
    text[--at] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  (void)!write(STDOUT_FILENO, text + at, sizeof text - static_cast<size_t>(at));
}

void on_signal(int signo) {
  print_number(signo);
  if (signo == SIGTERM && exit_on_term >= 0) _exit(exit_on_term);
  if (signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU) raise(SIGSTOP);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "exit-on-term") == 0) exit_on_term = std::atoi(argv[2]);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int signo = 1; signo < 32; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP || signo == SIGCHLD) continue;
    sigaction(signo, &action, nullptr);
  }
  char ready[64];
  const int n = std::snprintf(ready, sizeof ready, "ready (pid: %d)\n", static_cast<int>(getpid()));
  (void)!write(STDOUT_FILENO, ready, static_cast<size_t>(n));
  for (;;) pause();
}
