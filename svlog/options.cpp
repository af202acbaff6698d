// SPDX-License-Identifier: MIT
// Command-line parsing. Options may appear between targets because -p binds to the next.
#include "options.hpp"

#include <charconv>

namespace svtree::svlog {
namespace {

std::optional<size_t> parse_size(const std::string& text) {
  size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error) {
  Options options;
  int stamp_level = 0;
  bool replace_given = false;
  bool options_done = false;
  std::optional<std::string> pending_prefix;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      options.targets.push_back(TargetSpec{arg, std::move(pending_prefix)});
      pending_prefix.reset();
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg.starts_with("--")) {
      // DESIGN.md §6: every program answers --help and --version.
      if (arg == "--help") options.help = true;
      else if (arg == "--version") options.version = true;
      else {
        error = "unknown option " + arg;
        return std::nullopt;
      }
      return options;
    }
    // A cluster such as -ttv; an option taking a value takes the rest of the cluster or
    // the next argument (getopt's rules, as svlogd parses).
    for (size_t j = 1; j < arg.size(); ++j) {
      const char flag = arg[j];
      if (flag == 't') {
        ++stamp_level;
        continue;
      }
      if (flag == 'v') {
        options.verbose = true;
        continue;
      }
      if (flag != 'r' && flag != 'R' && flag != 'l' && flag != 'b' && flag != 'p' && flag != 's') {
        error = std::string("unknown option -") + flag;
        return std::nullopt;
      }
      std::string value;
      if (j + 1 < arg.size()) {
        value = arg.substr(j + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        error = std::string("option -") + flag + " needs a value";
        return std::nullopt;
      }
      switch (flag) {
        case 'r':
          if (value.size() != 1) {
            error = "-r needs exactly one character";
            return std::nullopt;
          }
          options.replacement = value[0];
          replace_given = true;
          break;
        case 'R':
          options.replace_set = value;
          break;
        case 'l': {
          auto v = parse_size(value);
          if (!v || *v == 0 || *v > Options::kMaxBufferSize) {
            error = "-l needs a line length between 1 and 16777216";
            return std::nullopt;
          }
          options.line_max = *v;
          break;
        }
        case 'b': {
          auto v = parse_size(value);
          if (!v || *v == 0 || *v > Options::kMaxBufferSize) {
            error = "-b needs a buffer size between 1 and 16777216";
            return std::nullopt;
          }
          if (*v > options.buffer_size) options.buffer_size = *v;
          break;
        }
        case 'p':
          pending_prefix = value;
          break;
        case 's':
          if (!options.socket_path.empty() || value.empty()) {
            error = "-s takes one socket path, once";
            return std::nullopt;
          }
          options.socket_path = value;
          break;
        default:
          break;
      }
      break;  // the value consumed the rest of this cluster
    }
  }
  if (pending_prefix) {
    error = "-p must come before the target it labels";
    return std::nullopt;
  }
  if (options.targets.empty()) {
    error = "no log target given";
    return std::nullopt;
  }
  if (stamp_level > 3) stamp_level = 3;
  static constexpr StampMode kModes[] = {StampMode::kNone, StampMode::kTai64n, StampMode::kUtc,
                                         StampMode::kIso8601};
  options.stamp = kModes[stamp_level];
  if (!options.replace_set.empty() && !replace_given) options.replacement = '_';
  return options;
}

}  // namespace svtree::svlog
