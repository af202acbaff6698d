// SPDX-License-Identifier: MIT
// Pipe: both ends of pipe2(O_CLOEXEC), owned.
#pragma once

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

/// pipe2 with O_CLOEXEC (plus extra_flags such as O_NONBLOCK on both ends).
Result<Pipe> make_pipe(int extra_flags = 0);

}  // namespace svtree
