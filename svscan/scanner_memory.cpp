// SPDX-License-Identifier: MIT
// Scanner: what a scan costs in memory between scans (issue 17: svscan's own USS with
// 1000 services). A scan's working memory is given back once the tree is in line with it.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include "scanner.hpp"

namespace svtree::svscan {

Result<void> Scanner::list_scan_dir() {
  // glibc gives each DIR a 32 kB buffer that a directory of 1000 entries fills, and
  // scan_dir_ lives as long as svscan: each pass reads through a DIR of its own, freed
  // after it. scan_dir_ itself is never read (its buffer is allocated but untouched).
  // Out of descriptors (the pipes of many services can take them all): scan_dir_ serves.
  const int fd = ::openat(::dirfd(scan_dir_), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* pass = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (pass == nullptr) {
    if (fd >= 0) ::close(fd);
    return read_listing(scan_dir_, listing_, &dangling_);
  }
  auto listed = read_listing(pass, listing_, &dangling_);
  ::closedir(pass);
  return listed;
}

void Scanner::release_scan_memory() {
  // The listing (about 100 bytes per service) is needed only by the scan that made it,
  // and by -W's first look at which services to wait for (hold_or_start_command runs
  // after the first scan).
  if (!options_.wait_ready_ms || ready_wait_) std::vector<ScanEntry>().swap(listing_);
  // The scan's temporaries (listing, diff, the spawn arguments of every new supervise)
  // were freed into holes of the heap that glibc keeps: hand their pages back. Cheap
  // (a walk of the free lists), and a scan is rare.
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
  // musl's allocator (Alpine) has no malloc_trim: it returns freed pages by itself.
}

}  // namespace svtree::svscan
