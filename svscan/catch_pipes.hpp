// SPDX-License-Identifier: MIT
// CatchPipes: what the tree keeps of a catch-all pipe (issue 15): the write ends a service's
// supervise gets, held across its restarts; the read ends belong to CatchAll.
#pragma once

#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

struct CatchPipes {
  int id = -1;   // CatchAll's name for the pair, for renames
  UniqueFd out;  // the service's stdout (supervise's fd 1)
  UniqueFd err;  // JSON mode: its stderr (supervise's fd 2); else invalid: inherited
};

}  // namespace svtree::svscan
