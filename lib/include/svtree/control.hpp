// SPDX-License-Identifier: MIT
// Control bytes of supervise/control: runit's set plus documented s6 extras.
#pragma once

#include <optional>

namespace svtree {

enum class Command {
  kUp,         // u
  kDown,       // d: down signal, then CONT; no restart
  kOnce,       // o: start if down, never restart
  kExit,       // x: down, then the supervisor exits
  kPause,      // p: STOP
  kCont,       // c: CONT
  kHup,        // h
  kAlarm,      // a
  kInterrupt,  // i
  kQuit,       // q
  kUser1,      // 1
  kUser2,      // 2
  kTerm,       // t
  kKill,       // k
  kRestart,    // r (s6): down signal + CONT, then start again; want stays up
};

/// nullopt for a byte that is no command: the supervisor ignores it (garbage is harmless).
std::optional<Command> parse_control_byte(char byte);
/// The byte that sends command (clients: svctl).
char control_byte(Command command);
/// The signal a pure-signal command sends (p c h a i q 1 2 t k), else 0.
int signal_of(Command command);

}  // namespace svtree
