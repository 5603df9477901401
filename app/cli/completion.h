// Shell completion for quantscope-cli, answered by the program from its own command table and each
// command's option table (commands.h), so that it cannot drift from what the parser accepts:
//   quantscope-cli --complete WORD...
// WORD... are the words after the program name up to the cursor, the last one being the word under
// completion (possibly empty). The candidates are printed one a line. Nothing printed means "a file
// name": the bash script (packaging/bash-completion/quantscope-cli) falls back to file names.
#pragma once

#include <string>
#include <vector>

#include "app/cli/commands.h"

namespace qs::cli {

// The candidates for the last of words, in order:
//   - the first word: the commands, --help and --version;
//   - after an option that takes a value: its choices when it has a fixed list, else nothing;
//   - otherwise: the command's options ("--name"), without single-use options already given.
// Every candidate starts with the word under completion.
std::vector<std::string> completions(const std::vector<Command>& commands, const std::vector<std::string>& words);

}  // namespace qs::cli
