#pragma once
// The hidden command `smk manual`: the manual page smk(1), in roff, on stdout. It is
// made from the App tree --help prints (every command, option and the exit codes of
// the footer), so the page cannot drift from --help; CMake runs it to build
// man/smk.1 (cli/CMakeLists.txt). `--bash-completion` prints the bash completion
// from the same tree, `--plan` the page smk-plan(5) from the plan schema the plan
// reader uses. Not listed by --help (CLI11 group "").

namespace CLI {
class App;
}

namespace smk::cli {

// Adds `manual` under `app`, the root: its callback walks `app` as it is then, with
// every command group registered.
void register_manual(CLI::App& app);

}  // namespace smk::cli
