// Closed sets of words in the spec (train.loss, train.fit, dtype, ...): each is an enum class whose
// spellings sit in one table, in the enumerators' order. The reader, the emitter (and so the spec
// hash), `phenom list` and did-you-mean all read that table through Visitor::field; code above the
// spec compares enumerators, never strings. No YAML and no torch here.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace phenom {

// Specialised once per enum: `static constexpr std::array names{"a", "b", ...}` (its size deduced).
template <typename E>
struct Words;

template <typename E>
const char* word(E value) {
  return Words<E>::names[static_cast<size_t>(value)];
}

template <typename E>
std::vector<std::string> words() {
  return {Words<E>::names.begin(), Words<E>::names.end()};
}

// The enumerator spelled `text`; false (and `value` kept) when no enumerator is.
template <typename E>
bool parse_word(const std::string& text, E& value) {
  for (size_t i = 0; i < Words<E>::names.size(); ++i) {
    if (text == Words<E>::names[i]) {
      value = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// The objective's loss (train.loss).
enum class Loss { kCrossEntropy, kMse, kHalfSse };
template <>
struct Words<Loss> {
  static constexpr std::array names{"cross_entropy", "mse", "half_sse"};
};

// How the run's weights are found (train.fit).
enum class Fit { kGradient, kMinNorm };
template <>
struct Words<Fit> {
  static constexpr std::array names{"gradient", "min_norm"};
};

// The parameters' and features' floating-point type (dtype).
enum class Dtype { kFloat32, kFloat64 };
template <>
struct Words<Dtype> {
  static constexpr std::array names{"float32", "float64"};
};

// A hidden layer's nonlinearity (model.activation of mlp and transformer; quadratic: x^2).
enum class Activation { kRelu, kGelu, kTanh, kQuadratic };
template <>
struct Words<Activation> {
  static constexpr std::array names{"relu", "gelu", "tanh", "quadratic"};
};

}  // namespace phenom
