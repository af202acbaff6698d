// SPDX-License-Identifier: MIT
// Fuzz: the text of knob files (numbers, signal names, health-check targets and counts),
// envdir values, TAI64N labels and HTTP status lines; the `user` and `limits` knobs and
// passwd/group text (issue 16).
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "svtree/accounts.hpp"
#include "svtree/control.hpp"
#include "svtree/envdir.hpp"
#include "svtree/health_check.hpp"
#include "svtree/resource_limits.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/signal_name.hpp"
#include "svtree/tai64n.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto ms = svtree::parse_milliseconds(text)) (void)*ms;
  if (const auto signo = svtree::parse_signal(text)) {
    if (*signo < 1 || *signo > 64) std::abort();
    (void)svtree::signal_name(*signo);
  }
  if (const auto value = svtree::decode_envdir_value(text)) {
    if (value->find('\0') != std::string::npos) std::abort();
  }
  if (const auto stamp = svtree::Tai64n::parse_label(text)) {
    const auto back = svtree::Tai64n::parse_label(stamp->label());
    if (!back || !(*back == *stamp)) std::abort();
  }
  // Health checks: a target is connectable, a request is one line per header, a status
  // is three digits.
  if (const auto tcp = svtree::parse_tcp_target(text)) {
    if (tcp->length == 0 || tcp->length > sizeof tcp->address) std::abort();
  }
  if (const auto http = svtree::parse_http_target(text)) {
    const std::string request = svtree::http_check_request(*http);
    if (request.find("\r\n\r\n") != request.size() - 4 || http->path.empty() ||
        http->path.front() != '/')
      std::abort();
  }
  const svtree::HttpAnswer answer = svtree::parse_http_status_line(text);
  if (answer.kind == svtree::HttpAnswer::Kind::kStatus && (answer.status < 100 || answer.status > 999))
    std::abort();
  if (const auto count = svtree::parse_count(text)) {
    if (*count == 0) std::abort();
  }
  // user and limits: a spec names someone; a limit is never soft above hard; every
  // lookup of a passwd/group text ends and never invents an account of another name.
  if (const auto spec = svtree::parse_user_spec(text)) {
    if (spec->user.empty()) std::abort();
    svtree::AccountFiles files;
    files.passwd = std::string(text);
    files.group = std::string(text);
    const auto lookup = svtree::resolve_identity(*spec, files, "user");
    if (lookup.identity.has_value() == lookup.problem.has_value()) std::abort();
    if (lookup.identity && lookup.identity->groups.empty()) std::abort();
  }
  if (const auto entry = svtree::find_passwd_entry(text, "root")) {
    if (entry->name != "root") std::abort();
  }
  std::vector<std::string> warnings;
  for (const svtree::LimitSetting& limit : svtree::parse_limits(text, "limits", warnings)) {
    if (limit.hard && limit.soft > *limit.hard) std::abort();
  }
  for (const char byte : text) {
    if (const auto command = svtree::parse_control_byte(byte)) {
      if (svtree::control_byte(*command) != byte) std::abort();
    }
  }
  return 0;
}
