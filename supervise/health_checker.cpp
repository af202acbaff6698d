// SPDX-License-Identifier: MIT
// check-tcp, check-http and ./check on the loop: sockets are non-blocking, every wait is a
// watcher, nothing here sleeps or polls (the Supervisor's timers pace and time it out).
#include "health_checker.hpp"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "svtree/process.hpp"

namespace svtree::supervise {
namespace {

// The status line fits in far less; the rest of the answer is never read.
constexpr size_t kMaxAnswer = 512;

std::string failure(const std::string& what, int code) {
  return what + ": " + std::strerror(code);
}

}  // namespace

HealthChecker::HealthChecker(Loop& loop, Verdict verdict)
    : loop_(loop),
      verdict_(std::move(verdict)),
      socket_watch_(loop, -1, EV_WRITE, [this](int revents) { on_socket(revents); }),
      deferred_(loop, [this] { finish(deferred_passed_, std::move(deferred_reason_)); }) {}

HealthChecker::~HealthChecker() { stop(); }

bool HealthChecker::busy() const {
  return socket_.valid() || script_pid_ != 0 || deferred_.active();
}

void HealthChecker::start_tcp(const TcpTarget& target) {
  http_ = false;
  connect_to(target);
}

void HealthChecker::start_http(const HttpTarget& target) {
  http_ = true;
  request_ = http_check_request(target);
  received_.clear();
  url_ = "http://" + target.host + target.path;
  connect_to(target.tcp);
}

void HealthChecker::connect_to(const TcpTarget& target) {
  stop();
  shown_ = target.shown;
  connected_ = false;
  socket_.reset(::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket_.valid()) {
    defer(false, failure("open a socket for " + shown_, errno));
    return;
  }
  if (::connect(socket_.get(), reinterpret_cast<const sockaddr*>(&target.address),
                target.length) != 0 &&
      errno != EINPROGRESS) {
    const int code = errno;
    socket_.reset();
    defer(false, failure("connect to " + shown_, code));
    return;
  }
  // Closed with a reset, as HAProxy closes its checks: no TIME_WAIT is left per check
  // (100 services checked every second would hold 6000 ports a minute), and no FIN
  // exchange is paid for an answer we have stopped reading.
  const linger reset{1, 0};
  (void)::setsockopt(socket_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  // Connected at once (loopback can) or in progress: writable either way once it is done.
  socket_watch_.set(socket_.get(), EV_WRITE);
  socket_watch_.start();
}

void HealthChecker::on_socket(int revents) {
  if (!connected_) {
    int code = 0;
    socklen_t length = sizeof code;
    if (::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &code, &length) != 0) code = errno;
    if (code != 0) {
      finish(false, failure("connect to " + shown_, code));
      return;
    }
    connected_ = true;
    if (!http_) {
      finish(true, {});
      return;
    }
  }
  if ((revents & EV_WRITE) != 0 && !request_.empty()) {
    const ssize_t n = ::send(socket_.get(), request_.data(), request_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      finish(false, failure("send the request to " + shown_, errno));
      return;
    }
    if (n > 0) request_.erase(0, static_cast<size_t>(n));
    if (request_.empty()) socket_watch_.set(socket_.get(), EV_READ);
    return;
  }
  if ((revents & EV_READ) == 0) return;
  std::array<char, kMaxAnswer> buffer{};
  const ssize_t n = ::recv(socket_.get(), buffer.data(), kMaxAnswer - received_.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    finish(false, failure("read the answer of " + shown_, errno));
    return;
  }
  received_.append(buffer.data(), static_cast<size_t>(n));
  const HttpAnswer answer = parse_http_status_line(received_);
  switch (answer.kind) {
    case HttpAnswer::Kind::kStatus:
      if (http_status_passes(answer.status))
        finish(true, {});
      else
        finish(false, url_ + " answered status " + std::to_string(answer.status));
      return;
    case HttpAnswer::Kind::kMalformed:
      finish(false, url_ + " answered something that is not HTTP/1.x");
      return;
    case HttpAnswer::Kind::kIncomplete:
      if (n == 0 || received_.size() >= kMaxAnswer)
        finish(false, url_ + " closed the connection before a status line");
      return;
  }
}

void HealthChecker::start_script(pid_t pid) {
  stop();
  script_pid_ = pid;
}

void HealthChecker::fail_soon(const std::string& reason) {
  stop();
  defer(false, reason);
}

bool HealthChecker::on_child(pid_t pid, int wait_status) {
  if (pid == 0 || pid != script_pid_) return false;
  script_pid_ = 0;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
    finish(true, {});
  else if (WIFEXITED(wait_status))
    finish(false, "./check exited " + std::to_string(WEXITSTATUS(wait_status)));
  else
    finish(false, "./check was killed by signal " + std::to_string(WTERMSIG(wait_status)));
  return true;
}

void HealthChecker::stop() {
  socket_watch_.stop();
  socket_.reset();
  deferred_.stop();
  if (script_pid_ != 0) {
    // Whatever it started goes too: a hung check often hangs in a child (curl, nc).
    (void)signal_process_group(script_pid_, SIGKILL);
    (void)signal_process(script_pid_, SIGKILL);
    script_pid_ = 0;  // its death, reaped by the loop, is no longer ours to report
  }
}

void HealthChecker::defer(bool passed, std::string reason) {
  deferred_passed_ = passed;
  deferred_reason_ = std::move(reason);
  deferred_.start_after(0);
}

void HealthChecker::finish(bool passed, std::string reason) {
  socket_watch_.stop();
  socket_.reset();
  verdict_(passed, reason);
}

}  // namespace svtree::supervise
