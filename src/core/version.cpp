// The only file compiled with the commit's hash, so that a new commit recompiles this file alone
// rather than every file (a definition on the whole library changes every file's command line).
#include "core/version.h"

namespace phenom {

const char* phenom_version() { return PHENOM_VERSION; }
const char* phenom_git_commit() { return PHENOM_GIT; }

}  // namespace phenom
