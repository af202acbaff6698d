// SPDX-License-Identifier: MIT
// Issue 15: the labelled catch-all of services without log/, svscan's writer child, the
// stalled reader, and the JSON format, with the real svscan and supervise.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Each line goes out in three writes (the label-less pieces "NAME-N-", padding, newline),
// so that a catch-all that did not put lines together again would interleave them.
std::string piecewise_writer(const std::string& name, int lines, int pad) {
  return "i=0\nwhile [ $i -lt " + std::to_string(lines) + " ]; do\n"
         "  printf '" + name + "-%d-' $i\n"
         "  printf '%0" + std::to_string(pad) + "d' 0\n"
         "  printf '\\n'\n"
         "  i=$((i+1))\ndone\nexec sleep 1000\n";
}

TEST(CatchAll, ConcurrentServicesLinesComeOutWholeAndLabelled) {
  ScanTree tree;
  constexpr int kLines = 400;
  const std::map<std::string, int> pads = {{"a", 10}, {"b", 300}, {"c", 5000}};
  for (const auto& [name, pad] : pads) tree.add_service(name, piecewise_writer(name, kLines, pad));
  tree.start();
  const auto out = [&] { return tree.svscan().stdout_text(); };
  ASSERT_TRUE(wait_until([&] {
    const std::string text = out();
    return count_lines(text, "a-399-") == 1 && count_lines(text, "b-399-") == 1 &&
           count_lines(text, "c-399-") == 1;
  })) << tree.log();
  // c's lines (5000 bytes of padding) are longer than the bound: cut in two pieces, the
  // second labelled "c+: ", each piece with its newline at most PIPE_BUF (4096) bytes.
  std::map<std::string, int> next = {{"a", 0}, {"b", 0}, {"c", 0}};
  const std::regex whole("^([abc]): ([abc])-([0-9]+)-(0*)$");
  const std::regex continuation("^c\\+: (0+)$");
  bool expect_continuation = false;  // of c's last line: other services' may come between
  size_t c_length = 0;
  for (const std::string& line : split_lines(out())) {
    std::smatch m;
    EXPECT_LE(line.size() + 1, 4096u) << "a piece larger than PIPE_BUF: " << line.substr(0, 80);
    if (line.rfind("c+: ", 0) == 0) {
      ASSERT_TRUE(expect_continuation) << "unexpected continuation";
      ASSERT_TRUE(std::regex_match(line, m, continuation)) << line.substr(0, 80);
      EXPECT_EQ(c_length + static_cast<size_t>(m[1].length()), 5000u);
      expect_continuation = false;
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, m, whole)) << "split or interleaved: " << line.substr(0, 80);
    const std::string name = m[1];
    ASSERT_EQ(name, m[2].str()) << line.substr(0, 80);
    EXPECT_EQ(std::stoi(m[3]), next[name]) << "lost or reordered line of " << name;
    ++next[name];
    if (name == "c") {
      ASSERT_FALSE(expect_continuation) << "c's line before lost its continuation";
      // "c: c-N-" plus padding fills the bound exactly: 4096 - len("c+: ") - newline.
      EXPECT_EQ(line.size() - 3, 4091u);
      c_length = static_cast<size_t>(m[4].length());
      expect_continuation = true;
    } else {
      EXPECT_EQ(static_cast<int>(m[4].length()), pads.at(name));
    }
  }
  EXPECT_EQ(next["a"], kLines);
  EXPECT_EQ(next["b"], kLines);
  EXPECT_EQ(next["c"], kLines);
}

// Issue 17: a service's unfinished line is kept apart (its own LineCutter, made only while
// a line is unfinished); another service's whole line meanwhile neither picks it up nor
// ends it.
TEST(CatchAll, UnfinishedLineWaitsApartFromOtherServicesLines) {
  ScanTree tree;
  const auto wait_for = [&](const std::string& name) {
    return "while [ ! -e " + tree.out(name) + " ]; do sleep 0.05; done\n";
  };
  tree.add_service("a", "printf 'a-begins '\n: > " + tree.out("a.half") + "\n" +
                            wait_for("a.go") + "printf 'a-ends\\n'\nexec sleep 1000\n");
  tree.add_service("b", wait_for("b.go") + "printf 'b-whole\\n'\nexec sleep 1000\n");
  tree.start();
  ASSERT_TRUE(wait_until([&] { return ::access(tree.out("a.half").c_str(), F_OK) == 0; }))
      << tree.log();
  write_file(tree.out("b.go"), "");
  const auto out = [&] { return tree.svscan().stdout_text(); };
  ASSERT_TRUE(wait_until([&] { return count_lines(out(), "b: b-whole\n") == 1; })) << out();
  write_file(tree.out("a.go"), "");
  ASSERT_TRUE(wait_until([&] { return count_lines(out(), "a: a-begins a-ends\n") == 1; }))
      << out();
  EXPECT_EQ(count_lines(out(), "a-begins"), 1u) << out();
  EXPECT_EQ(count_lines(out(), "b-whole"), 1u) << out();
}

// Issue 17: the catch-all labels with the tree's own copy of a service's name, lent until
// the service's slot goes. A process a removed service leaves behind still writes into its
// pipe after that slot went to another service, whose name now fills the same string: its
// line must still say who wrote it.
TEST(CatchAll, LeftoverOfARemovedServiceKeepsItsLabelWhenTheSlotIsReused) {
  ScanTree tree;
  // The leftover waits in the background, outside run's pid that supervise stops.
  tree.add_service("a", "( while [ ! -e " + tree.out("go") + " ]; do sleep 0.05; done\n"
                        "  echo late-line; : > " + tree.out("said") + " ) &\n"
                        ": > " + tree.out("a.up") + "\nexec sleep 1000\n");
  tree.start();
  ASSERT_TRUE(wait_until([&] { return ::access(tree.out("a.up").c_str(), F_OK) == 0; }))
      << tree.log();
  make_dirs(tree.staging() + "/trash");
  ASSERT_EQ(::rename((tree.scan() + "/a").c_str(), (tree.staging() + "/trash/a").c_str()), 0);
  // Ended and reaped: a's slot is free, and b, the next service, takes it.
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("supervise a ended") == 1; }))
      << tree.log();
  tree.add_service("b", "exec sleep 1000\n");
  ASSERT_GT(tree.wait_supervise_pid("b"), 0) << tree.log();
  write_file(tree.out("go"), "");
  ASSERT_TRUE(wait_until([&] { return ::access(tree.out("said").c_str(), F_OK) == 0; }));
  const auto out = [&] { return tree.svscan().stdout_text(); };
  EXPECT_TRUE(wait_until([&] { return count_lines(out(), "a: late-line\n") == 1; })) << out();
  EXPECT_EQ(count_lines(out(), "late-line"), 1u) << out();
}

TEST(CatchAll, LineWrittenJustBeforeARestartIsNotLost) {
  ScanTree tree;
  // Each run says its last words and exits at once; svscan holds the pipe across the
  // restarts (restart-delay 0: the backoff still spaces them, 0, 100, 200 ms...).
  tree.add_service("a", "echo $$ >> " + tree.out("a.starts") + "\necho \"last words of $$\"\nexit 1\n", "", false);
  write_file(tree.staging() + "/a/restart-delay", "0\n");
  tree.move_in_service("a");
  tree.start();
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") >= 4; })) << tree.log();
  // Killing the supervise itself loses nothing either: svscan keeps the pipe.
  const pid_t supervise = tree.wait_supervise_pid("a");
  ASSERT_GT(supervise, 0) << tree.log();
  ::kill(supervise, SIGKILL);
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("supervising a (") >= 2; })) << tree.log();
  const size_t before = starts(tree, "a");
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") >= before + 2; })) << tree.log();
  tree.signal_svscan(SIGTERM);
  ASSERT_TRUE(tree.svscan().wait().has_value());
  const std::string out = tree.svscan().stdout_text();
  for (const std::string& pid : split_lines(read_file(tree.out("a.starts"))))
    EXPECT_EQ(count_lines(out, "a: last words of " + pid + "\n"), 1u) << out;
}

// A pipe the test holds: svscan's stdout and stderr, read only when the test says so.
class StalledOutput {
 public:
  StalledOutput() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end_ = fds[0];
    write_end_ = fds[1];
  }
  ~StalledOutput() {
    if (read_end_ >= 0) ::close(read_end_);
    if (write_end_ >= 0) ::close(write_end_);
  }
  [[nodiscard]] int write_end() const { return write_end_; }
  void close_write_end() {
    ::close(write_end_);
    write_end_ = -1;
  }
  /// Starts a reader (cat, appending to path) on the pipe.
  std::unique_ptr<Process> start_reader(const std::string& path) {
    Process::Options options;
    options.stdin_fd = read_end_;
    return std::make_unique<Process>(
        std::vector<std::string>{"/bin/sh", "-c", "exec cat >> " + path}, options);
  }

 private:
  int read_end_ = -1;
  int write_end_ = -1;
};

// DESIGN.md §1 and §5: PID 1 never blocks on a stalled reader of its output. A service
// floods stdout while nobody reads svscan's stdout and stderr (a pipe nobody reads, then a
// reader that is SIGSTOPped): svscan still reaps, restarts and starts new services, and
// once the reader resumes, it announces what it dropped.
TEST(CatchAll, StalledReaderNeverStopsSvscanAndDropsAreAnnounced) {
  ScanTree tree;
  // Bursts of 20000 lines (~0.5 MB), each counted in out/noisy.bursts: ten of them are more
  // than the pipes and svscan's queue hold, so once ten more have gone out while nobody
  // read, svscan has dropped lines (it makes the service wait at most a second), and
  // the reader's file stays small.
  tree.add_service("noisy", "while :; do seq -f 'noisy line %g of a burst' 1 20000\n"
                            "echo >> " + tree.out("noisy.bursts") + "\nsleep 0.1\ndone\n");
  const auto bursts = [&] { return count_lines(read_file(tree.out("noisy.bursts")), "\n"); };
  tree.add_service("crashy", "echo $$ >> " + tree.out("crashy.starts") + "\nexec sleep 1000\n");
  StalledOutput output;
  tree.start({}, {}, false, {}, output.write_end());
  output.close_write_end();
  // Nobody reads: the pipe and svscan's queue fill within moments; then svscan drops.
  ASSERT_TRUE(wait_until([&] { return starts(tree, "crashy") == 1; }));
  // Reaping and restarting: the run killed, its supervise restarts it; its supervise
  // killed, svscan starts a new one.
  const pid_t first = pid_from_file(tree.scan() + "/crashy/supervise/pid");
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  ASSERT_TRUE(wait_until([&] { return starts(tree, "crashy") == 2; }));
  // Starting a service added now is svscan's own work (scan, spawn, its lines queued).
  tree.add_service("late", counting_run(tree, "late"));
  ASSERT_TRUE(wait_until([&] { return starts(tree, "late") == 1; }));
  const size_t stalled_at = bursts();
  ASSERT_TRUE(wait_until([&] { return bursts() >= stalled_at + 10; }));

  // A reader comes, and is stopped (a stalled `docker logs`): the same again.
  const std::string seen = tree.out("seen");
  auto reader = output.start_reader(seen);
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(seen), "svscan: warning: dropped ") > 0;
  })) << read_file(seen).substr(0, 2000);
  EXPECT_NE(read_file(seen).find(" lines of noisy: the reader of svscan's output was too slow"),
            std::string::npos);
  reader->signal(SIGSTOP);
  const pid_t second = pid_from_file(tree.scan() + "/crashy/supervise/pid");
  ASSERT_GT(second, 0);
  ::kill(second, SIGKILL);
  ASSERT_TRUE(wait_until([&] { return starts(tree, "crashy") == 3; }));
  tree.add_service("later", counting_run(tree, "later"));
  ASSERT_TRUE(wait_until([&] { return starts(tree, "later") == 1; }));
  const size_t stopped_at = bursts();
  ASSERT_TRUE(wait_until([&] { return bursts() >= stopped_at + 10; }));
  const size_t announced = count_lines(read_file(seen), "svscan: warning: dropped ");
  reader->signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] {
    return count_lines(read_file(seen), "svscan: warning: dropped ") > announced;
  }));
  // Whatever was dropped, what came out is whole lines.
  for (const std::string& line : split_lines(read_file(seen)))
    ASSERT_TRUE(line.rfind("noisy: noisy line ", 0) == 0 || line.rfind("svscan: ", 0) == 0 ||
                line.rfind("supervise: ", 0) == 0)
        << line;
}

// svscan's output writers (children named svscan-output).
std::vector<pid_t> output_writers(pid_t svscan) {
  std::vector<pid_t> writers;
  const std::string id = std::to_string(svscan);
  std::istringstream children(read_file("/proc/" + id + "/task/" + id + "/children"));
  for (pid_t child = 0; children >> child;)
    if (read_file("/proc/" + std::to_string(child) + "/comm") == "svscan-output\n")
      writers.push_back(child);
  return writers;
}

// Issue 19: a CI run under load lost every line svscan wrote at a short grace time's
// shutdown (maincmd's SigtermBlockedByTheParentStillStopsTheTree: its stderr empty): one
// grace round (1 s) after nothing else was left, the writers, not run by the loaded machine
// meanwhile, were killed with what they held. Here they are stopped (SIGSTOP) across that
// round, as a loaded machine leaves them: they must still get to write it all.
TEST(CatchAll, WritersNotRunForSecondsAtShutdownStillWriteEverything) {
  ScanTree tree;
  // It ignores TERM: the grace time's KILL ends it, and the grace rounds begin.
  tree.add_service("stubborn", "trap '' TERM\necho stubborn up\nexec sleep 1000\n");
  tree.start({"-g", "300"});
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("supervising stubborn") > 0; }))
      << tree.log();
  ASSERT_TRUE(wait_until([&] { return tree.svscan().stdout_text() == "stubborn: stubborn up\n"; }))
      << tree.svscan().stdout_text();
  std::vector<pid_t> writers;
  ASSERT_TRUE(wait_until([&] {
    writers = output_writers(tree.svscan_pid());
    return writers.size() == 2;
  }));
  for (const pid_t writer : writers) ::kill(writer, SIGSTOP);
  tree.signal_svscan(SIGTERM);
  // The grace time (0.3 s) and one grace round (1 s) later the writers were killed: they
  // must live on (a window, not a wait for something: nothing happens at that round).
  EXPECT_FALSE(wait_until(
      [&] {
        return std::none_of(writers.begin(), writers.end(),
                            [](pid_t writer) { return process_alive(writer); });
      },
      2500ms))
      << "the writers were killed while not run";
  for (const pid_t writer : writers) ::kill(writer, SIGCONT);
  ASSERT_TRUE(tree.svscan().wait(30s).has_value());
  EXPECT_EQ(tree.count_in_log("got SIGTERM"), 1u) << tree.log();
  EXPECT_EQ(tree.count_in_log("no child left: exiting with status 0"), 1u) << tree.log();
}

// Issue 15's throughput: into a piped stdout the writer splices whole pipe buffers, which
// keeps lines whole only because svscan writes every piece of at most PIPE_BUF bytes
// ending at a newline with a write of its own. The stdout here is a pipe shared with a
// logger that writes its own lines into it (one write each) and with svscan's stderr
// writer: every line must still come out whole.
TEST(CatchAll, PipedStdoutSharedWithOtherWritersKeepsEveryLineWhole) {
  ScanTree tree;
  constexpr int kLines = 1500;
  const std::map<std::string, int> pads = {{"a", 90}, {"b", 1500}};
  for (const auto& [name, pad] : pads) tree.add_service(name, piecewise_writer(name, kLines, pad));
  tree.add_service("w", "exec sleep 1000\n",
                   "i=0\nwhile [ $i -lt " + std::to_string(kLines) + " ]; do\n"
                   "  printf 'w-%d-%0700d\\n' $i 0\n  i=$((i+1))\ndone\nexec cat >/dev/null\n");
  StalledOutput output;
  tree.start({}, {}, false, {}, output.write_end());
  output.close_write_end();
  const std::string seen = tree.out("seen");
  auto reader = output.start_reader(seen);
  const std::string last = "-" + std::to_string(kLines - 1) + "-";
  ASSERT_TRUE(wait_until([&] {
    const std::string text = read_file(seen);
    return count_lines(text, "a: a" + last) == 1 && count_lines(text, "b: b" + last) == 1 &&
           count_lines(text, "w" + last) == 1;
  })) << read_file(seen).substr(0, 2000);
  std::map<std::string, int> next = {{"a", 0}, {"b", 0}, {"w", 0}};
  const std::regex labelled("^([ab]): ([ab])-([0-9]+)-(0*)$");
  const std::regex logger("^w-([0-9]+)-(0*)$");
  for (const std::string& line : split_lines(read_file(seen))) {
    if (line.rfind("svscan: ", 0) == 0 || line.rfind("supervise: ", 0) == 0) continue;
    std::smatch m;
    if (std::regex_match(line, m, logger)) {
      EXPECT_EQ(std::stoi(m[1]), next["w"]++) << "lost or reordered line of w";
      EXPECT_EQ(m[2].length(), 700);
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, m, labelled)) << "split or interleaved: "
                                                     << line.substr(0, 120);
    const std::string name = m[1];
    ASSERT_EQ(name, m[2].str()) << line.substr(0, 120);
    EXPECT_EQ(std::stoi(m[3]), next[name]++) << "lost or reordered line of " << name;
    EXPECT_EQ(static_cast<int>(m[4].length()), pads.at(name));
  }
  EXPECT_EQ(next["a"], kLines);
  EXPECT_EQ(next["b"], kLines);
  EXPECT_EQ(next["w"], kLines);
}

TEST(CatchAll, JsonLinesParseEvenWithInvalidUtf8) {
  if (find_program("python3") == "python3") GTEST_SKIP() << "python3 is not installed";
  ScanTree tree;
  tree.add_service("a", "printf 'bad \\377\\300 bytes \\001 and \"quotes\" \\\\ done\\n'\n"
                        "printf 'to stderr \\376\\n' >&2\n"
                        "echo started >> " + tree.out("a.starts") + "\nexec sleep 1000\n");
  tree.start({"-j"});
  ASSERT_TRUE(wait_until([&] {
    return tree.svscan().stdout_text().find("bad ") != std::string::npos &&
           tree.log().find("to stderr") != std::string::npos;
  })) << tree.log();
  tree.signal_svscan(SIGTERM);
  ASSERT_TRUE(tree.svscan().wait().has_value());
  const std::string all = tree.out("all.jsonl");
  write_file(all, tree.svscan().stdout_text() + tree.log());
  // Every line is one JSON object with the four fields; the service's two lines are there.
  const auto checked = run_command(
      {find_program("python3"), "-c",
       "import json, sys\n"
       "seen = set()\n"
       "for raw in open(sys.argv[1], 'rb'):\n"
       "    line = json.loads(raw.decode('utf-8'))\n"
       "    assert set(line) >= {'time', 'service', 'stream', 'line'}, line\n"
       "    seen.add((line['service'], line['stream'], line['line']))\n"
       "assert ('a', 'stdout', 'bad \\ufffd\\ufffd bytes \\x01 and \"quotes\" \\\\ done') in seen, seen\n"
       "assert ('a', 'stderr', 'to stderr \\ufffd') in seen, seen\n"
       "assert any(s == 'svscan' for _, s, _ in seen), seen\n"
       "assert any(s == 'supervise' for _, s, _ in seen), seen\n",
       all});
  EXPECT_EQ(checked.exit_code, 0) << checked.err << "\n" << read_file(all);
}

}  // namespace
}  // namespace svtree::svscan::testing
