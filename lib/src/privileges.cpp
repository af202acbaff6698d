// SPDX-License-Identifier: MIT
// Account files, capabilities and limits as this process sees them (issue 16).
#include "svtree/privileges.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "svtree/io.hpp"

namespace svtree {
namespace {

// Far above any real account file; a bound so that a mistaken path cannot eat memory.
constexpr size_t kMaxAccountFile = 16 * 1024 * 1024;

}  // namespace

AccountFiles read_account_files() {
  AccountFiles files;
  // Read directly, never through getpwnam: static builds have no NSS (DESIGN.md §2, §7).
  if (auto passwd = read_small_file("/etc/passwd", kMaxAccountFile))
    files.passwd = std::move(*passwd);
  else
    files.passwd_error = SysError{passwd.error().code, "read /etc/passwd"};
  if (auto group = read_small_file("/etc/group", kMaxAccountFile))
    files.group = std::move(*group);
  else
    files.group_error = SysError{group.error().code, "read /etc/group"};
  return files;
}

bool has_effective_capability(int cap) {
  // capget(2) directly: libcap is not a dependency, and glibc has no wrapper.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  const auto index = static_cast<size_t>(cap / 32);
  if (index >= _LINUX_CAPABILITY_U32S_3) return false;
  return (data[index].effective & (1U << (cap % 32))) != 0;
}

Result<struct rlimit> current_limit(int resource) {
  struct rlimit limit {};
  if (::getrlimit(static_cast<__rlimit_resource>(resource), &limit) != 0)
    return errno_error("read resource limit " + std::to_string(resource));
  return limit;
}

}  // namespace svtree
