// (a op b) mod p over the full p x p table, split into train/test by the data generator.
#pragma once
#include <cstdint>
#include <string>

#include "spec/options.h"

namespace phenom {

// The largest modulus: p^2 < 2^62, so that every count and answer (a^3 + ab mod p included) fits in int64.
inline constexpr int64_t kMaxModulus = 2147483647;

// The equation of the table: add a+b, sub a-b, mul a*b, div a*b^-1 (b != 0), a^2+b^2, a^3+ab (mod p).
enum class ModularOperation { kAdd, kSub, kMul, kDiv, kX2PlusY2, kX3PlusXy };
template <>
struct Words<ModularOperation> {
  static constexpr std::array names{"add", "sub", "mul", "div", "x2_plus_y2", "x3_plus_xy"};
};

struct ModularArithmeticOptions : TaskOptions {
  int64_t modulus = 97;
  ModularOperation operation = ModularOperation::kAdd;
  double train_fraction = 0.5;
  void visit(Visitor& v) override {
    v.field("modulus", modulus, "the modulus p (a prime for div; the vocabulary is 0..p-1 plus '=')", AtLeast(2));
    v.field("operation", operation, "add: a+b, sub: a-b, mul: a*b, div: a*b^-1 (b != 0), x2_plus_y2: a^2+b^2, "
                                    "x3_plus_xy: a^3+ab, all mod p");
    v.field("train_fraction", train_fraction, "fraction of the table used for training", OpenInterval(0, 1));
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override;
  InputSpec inputs() const override;
  DataSize data_size() const override {  // the whole p x p table (div: b != 0)
    const double p = static_cast<double>(modulus), table = p * (operation == ModularOperation::kDiv ? p - 1 : p);
    return {train_fraction * table, table};
  }
  std::optional<ModularStructure> modular_structure() const override {
    const int sign = operation == ModularOperation::kAdd ? 1 : operation == ModularOperation::kSub ? -1 : 0;
    const bool multiplicative = operation == ModularOperation::kMul || operation == ModularOperation::kDiv;
    return ModularStructure{modulus, sign, multiplicative, word(operation)};
  }
};

// The answer of one equation (exposed for tests); div uses the modular inverse of b.
int64_t modular_answer(ModularOperation operation, int64_t a, int64_t b, int64_t p);

}  // namespace phenom
