// The `position` option of the representation instruments and the activations task: which
// positions of sequence activations [B, T, D] are examples (last, all, or an index).
#pragma once
#include <string>

namespace phenom {

inline bool valid_position(const std::string& position) {
  return position == "last" || position == "all" ||
         (!position.empty() && position.find_first_not_of("0123456789") == std::string::npos);
}

}  // namespace phenom
