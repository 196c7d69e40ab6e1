// What build this is: the version and the git commit it was configured at (meta.json, --version).
#pragma once

namespace phenom {

const char* phenom_version();
const char* phenom_git_commit();

}  // namespace phenom
