// SPDX-License-Identifier: MIT
// The control byte table, in one place for supervise and svctl.
#include "svtree/control.hpp"

#include <csignal>

namespace svtree {
namespace {

struct Entry {
  char byte;
  Command command;
  int signal;
};

constexpr Entry kTable[] = {
    {'u', Command::kUp, 0},         {'d', Command::kDown, 0},
    {'o', Command::kOnce, 0},       {'x', Command::kExit, 0},
    {'p', Command::kPause, SIGSTOP}, {'c', Command::kCont, SIGCONT},
    {'h', Command::kHup, SIGHUP},   {'a', Command::kAlarm, SIGALRM},
    {'i', Command::kInterrupt, SIGINT}, {'q', Command::kQuit, SIGQUIT},
    {'1', Command::kUser1, SIGUSR1}, {'2', Command::kUser2, SIGUSR2},
    {'t', Command::kTerm, SIGTERM}, {'k', Command::kKill, SIGKILL},
    {'r', Command::kRestart, 0},
};

}  // namespace

std::optional<Command> parse_control_byte(char byte) {
  for (const Entry& entry : kTable)
    if (entry.byte == byte) return entry.command;
  return std::nullopt;
}

char control_byte(Command command) {
  for (const Entry& entry : kTable)
    if (entry.command == command) return entry.byte;
  return 0;
}

int signal_of(Command command) {
  for (const Entry& entry : kTable)
    if (entry.command == command) return entry.signal;
  return 0;
}

}  // namespace svtree
