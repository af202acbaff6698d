// SPDX-License-Identifier: MIT
// The four programs' entry points, linked into the one multi-call binary `svtree`.
#pragma once

/// Each is the program's whole main(): argv[0] is the program's own name.
int supervise_main(int argc, char** argv);
int svscan_main(int argc, char** argv);
int svctl_main(int argc, char** argv);
int svlog_main(int argc, char** argv);
/// svscan's writer child (issue 15, svscan(8)): copies fd 0 to fd 1 until end of file.
int svscan_output_main(int argc, char** argv);
