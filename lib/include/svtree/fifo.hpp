// SPDX-License-Identifier: MIT
// FIFOs of the supervise/ protocol: create, open the supervisor's ends, probe "ok".
#pragma once

#include <string>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// mkfifo(path, mode) unless a FIFO is already there; replaces a non-FIFO left in its place.
Result<void> ensure_fifo(const std::string& path, mode_t mode);

/// Opens a FIFO read+write and non-blocking, as a supervisor holds `control` and `ok`:
/// holding a writer ourselves means the reader never sees EOF (runit, s6 do the same).
Result<UniqueFd> open_fifo_supervisor_end(const std::string& path);

/// What opening `ok` for writing tells a client about the supervisor of a service.
enum class SupervisorPresence { kRunning, kNotRunning, kNoFifo, kError };

/// open(path, O_WRONLY|O_NONBLOCK): success = a supervisor holds it; ENXIO = none does
/// (runit's sv and daemontools' svok test exactly this). errno_out gets the failure's errno.
SupervisorPresence probe_supervisor(const std::string& ok_fifo_path, int* errno_out = nullptr);

}  // namespace svtree
