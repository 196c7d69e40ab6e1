#include "tasks/modular_arithmetic.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "core/build_context.h"
#include "core/error.h"
#include "tasks/task.h"

namespace phenom {
namespace {

bool is_prime(int64_t p) {
  if (p < 2) return false;
  for (int64_t d = 2; d * d <= p; ++d) if (p % d == 0) return false;
  return true;
}

int64_t power_mod(int64_t base, int64_t exponent, int64_t p) {
  int64_t result = 1 % p;
  base %= p;
  while (exponent > 0) {
    if (exponent & 1) result = result * base % p;
    base = base * base % p;
    exponent >>= 1;
  }
  return result;
}

int64_t table_size(const ModularArithmeticOptions& o) {
  return o.modulus * (o.operation == ModularOperation::kDiv ? o.modulus - 1 : o.modulus);
}

class ModularArithmetic : public FixedSplitTask {
 public:
  ModularArithmetic(const ModularArithmeticOptions& o, BuildContext& context) : FixedSplitTask(context), options_(o) {
    const int64_t p = o.modulus;
    std::vector<int64_t> tokens, answers;
    for (int64_t a = 0; a < p; ++a) {
      for (int64_t b = 0; b < p; ++b) {
        if (o.operation == ModularOperation::kDiv && b == 0) continue;
        tokens.insert(tokens.end(), {a, b, p});  // p is the '=' token
        answers.push_back(modular_answer(o.operation, a, b, p));
      }
    }
    const int64_t n = static_cast<int64_t>(answers.size());
    auto all_inputs = torch::tensor(tokens, torch::kLong).view({n, 3});
    auto all_targets = torch::tensor(answers, torch::kLong);
    auto order = torch::randperm(n, context.data, torch::kLong);
    const int64_t n_train = static_cast<int64_t>(std::llround(o.train_fraction * n));
    auto train_index = order.slice(0, 0, n_train), test_index = order.slice(0, n_train);
    train_ = {all_inputs.index_select(0, train_index).to(context.device),
              all_targets.index_select(0, train_index).to(context.device)};
    test_ = {all_inputs.index_select(0, test_index).to(context.device),
             all_targets.index_select(0, test_index).to(context.device)};
  }
  InputSpec inputs() const override { return options_.inputs(); }
  // label (the answer), and the operands a and b.
  std::map<std::string, torch::Tensor> attributes(const std::string& set) const override {
    auto out = Task::attributes(set);
    if (const Batch* b = eval_set(set)) {
      out["a"] = b->inputs.select(1, 0);
      out["b"] = b->inputs.select(1, 1);
    }
    return out;
  }
  // `a`: the operand a replaced by another residue, b kept; `b`: the converse (div: b stays nonzero).
  std::vector<std::string> contrasts() const override { return {"a", "b"}; }
  Contrast contrast(const std::string& name, const std::string& set, int64_t examples, uint64_t seed) const override {
    if (name != "a" && name != "b") return Task::contrast(name, set, examples, seed);
    const Batch& clean = split(set);
    const int64_t n = examples > 0 ? std::min(examples, clean.size()) : clean.size(), p = options_.modulus;
    const bool operand_a = name == "a";
    // Residues that the changed operand may take: 0..p-1 (b of div: 1..p-1); a shift by 1..count-1
    // within them never leaves it unchanged.
    const int64_t low = !operand_a && options_.operation == ModularOperation::kDiv ? 1 : 0, count = p - low;
    if (count < 2) throw BadInput("contrast '" + name + "' needs at least two values of the operand");
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const torch::Tensor shift = torch::randint(1, count, {n}, generator, torch::kLong);
    torch::Tensor inputs = clean.inputs.slice(0, 0, n).to(torch::kCPU).clone();
    auto in = inputs.accessor<int64_t, 2>();
    auto by = shift.accessor<int64_t, 1>();
    std::vector<int64_t> answers(n);
    for (int64_t i = 0; i < n; ++i) {
      int64_t& changed = in[i][operand_a ? 0 : 1];
      changed = low + (changed - low + by[i]) % count;
      answers[i] = modular_answer(options_.operation, in[i][0], in[i][1], p);
    }
    const auto device = clean.inputs.device();
    return {clean.rows(0, n), {inputs.to(device), torch::tensor(answers, torch::kLong).to(device), clean.weights}};
  }

 private:
  ModularArithmeticOptions options_;
};

}  // namespace

int64_t modular_answer(ModularOperation op, int64_t a, int64_t b, int64_t p) {
  switch (op) {
    case ModularOperation::kAdd: return (a + b) % p;
    case ModularOperation::kSub: return ((a - b) % p + p) % p;
    case ModularOperation::kMul: return a * b % p;
    case ModularOperation::kDiv: return a * power_mod(b, p - 2, p) % p;  // Fermat: b^(p-2) = b^-1 for prime p
    case ModularOperation::kX2PlusY2: return (a * a + b * b) % p;
    case ModularOperation::kX3PlusXy: return (a * a % p * a + a * b) % p;
  }
  throw std::invalid_argument("unknown operation");
}

void ModularArithmeticOptions::check(std::vector<std::pair<std::string, std::string>>& problems) const {
  if (modulus > kMaxModulus) {  // p^2 equations: beyond this their count overflows, long before memory does
    problems.push_back({"modulus", std::to_string(modulus) + " is too large: the table has p^2 equations; allowed: "
                                   "at most " + std::to_string(kMaxModulus) + " (the published runs use 97 or 113)."});
    return;
  }
  if (operation == ModularOperation::kDiv && !is_prime(modulus)) {
    problems.push_back({"modulus", std::to_string(modulus) + " is not prime, so some b have no inverse mod p; "
                                   "div needs a prime modulus (e.g. 97 or 113)."});
  }
  if (modulus >= 2) {
    const int64_t n = table_size(*this);
    const int64_t n_train = static_cast<int64_t>(std::llround(train_fraction * n));
    if (n_train < 1 || n_train >= n) {
      problems.push_back({"train_fraction", "with modulus " + std::to_string(modulus) + " this leaves " +
                                                std::to_string(n_train) + " of " + std::to_string(n) +
                                                " equations for training; both splits need at least one."});
    }
  }
}

InputSpec ModularArithmeticOptions::inputs() const {
  InputSpec spec;
  spec.kind = InputSpec::Kind::kTokens;
  spec.vocab_size = modulus + 1;  // residues and '='
  spec.seq_len = 3;               // [a, b, =]
  spec.operand_tokens = 2;        // positions that carry information (the MLP embeds only these)
  spec.operand_vocab = modulus;
  spec.num_classes = modulus;
  return spec;
}

std::unique_ptr<Task> build_modular_arithmetic(const TaskOptions& options, BuildContext& context) {
  return std::make_unique<ModularArithmetic>(dynamic_cast<const ModularArithmeticOptions&>(options), context);
}

}  // namespace phenom
