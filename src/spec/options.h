// Every option is declared once, in an options struct's visit(): name, field (whose initializer is
// the default), help and constraint. Parsing, validation, `phenom list` and `phenom resolve` are
// visitors over that one declaration. No YAML and no torch here.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spec/words.h"

namespace phenom {

// A count that may be a word (train.batch_size `full`, a task pool `inf`): n == 0 means the word.
struct CountOrFull {
  int64_t n = 0;
  const char* word = "full";  // its YAML spelling when n == 0
  bool full() const { return n == 0; }
  std::string text() const { return full() ? word : std::to_string(n); }
};

// When something happens during training (probes, metric rows): every `every` steps, and/or at
// `per_decade` log-spaced steps per factor of ten (the first step at or after each 10^(k/per_decade):
// every step while those are less than one step apart, then geometrically sparser), always at
// step 0. YAML: an integer N (every N steps) or a mapping {per_decade: K} / {per_decade: K, every: N}.
struct Cadence {
  int64_t every = 0;       // 0: no linear grid
  int64_t per_decade = 0;  // 0: no log grid
  bool unset() const { return every == 0 && per_decade == 0; }
  bool due(int64_t step) const;
  std::string text() const;  // "10", "{per_decade: 20}", "{per_decade: 20, every: 50}"
  bool operator==(const Cadence& o) const { return every == o.every && per_decade == o.per_decade; }
};

// Constraint attached to an option. Numeric bounds, allowed words, list length.
struct Check {
  std::optional<double> min, max;
  bool min_exclusive = false, max_exclusive = false;
  std::vector<std::string> choices;  // for strings
  int64_t length = -1;               // for lists: exact length, -1 = any
  std::string describe() const;      // "> 0", "in [0, 1)", "one of: a, b", ...
};

// Builders that read like the constraint: Positive(), AtLeast(2), Between(0, 1).
inline Check Positive() { Check c; c.min = 0; c.min_exclusive = true; return c; }
inline Check NonNegative() { Check c; c.min = 0; return c; }
inline Check AtLeast(double v) { Check c; c.min = v; return c; }
inline Check OpenInterval(double lo, double hi) {
  Check c; c.min = lo; c.max = hi; c.min_exclusive = c.max_exclusive = true; return c;
}
inline Check Between(double lo, double hi) { Check c; c.min = lo; c.max = hi; return c; }  // [lo, hi]
inline Check HalfOpen(double lo, double hi) {  // [lo, hi)
  Check c; c.min = lo; c.max = hi; c.max_exclusive = true; return c;
}
inline Check OneOf(std::vector<std::string> choices) { Check c; c.choices = std::move(choices); return c; }
inline Check Length(int64_t n, Check c = {}) { c.length = n; return c; }

class Visitor {
 public:
  virtual ~Visitor() = default;
  virtual void field(const char* name, int64_t& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, double& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, bool& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, std::string& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, std::vector<double>& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, std::vector<std::string>& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, CountOrFull& value, const char* help, const Check& check = {}) = 0;
  virtual void field(const char* name, Cadence& value, const char* help, const Check& check = {}) = 0;
  // A closed set of words (spec/words.h): read, written, hashed and listed as its spelling.
  template <typename E, typename = std::enable_if_t<std::is_enum_v<E>>>
  void field(const char* name, E& value, const char* help) {
    std::string text = word(value);
    field(name, text, help, OneOf(words<E>()));
    parse_word(text, value);
  }
};

// What a task feeds a model, as a typed shape, and what the model predicts; lets the spec reject
// impossible task/model pairs before step 0.
struct InputSpec {
  enum class Kind { kTokens, kFeatures, kVectors, kImages } kind = Kind::kFeatures;
  int64_t vocab_size = 0;    // tokens: number of distinct token ids
  int64_t seq_len = 0;       // tokens, vectors: sequence length T
  int64_t operand_tokens = 0;  // tokens: leading positions that carry information (0: all)
  int64_t operand_vocab = 0;   // tokens: ids those positions can take (0: vocab_size)
  int64_t feature_dim = 0;   // features: input width D; vectors: width D of each position
  int64_t channels = 0, height = 0, width = 0;  // images: [C, H, W]
  int64_t num_classes = 0;   // classes predicted at the readout (regression: outputs, 1)
  bool regression = false;   // targets are real numbers, not class ids
  bool per_position = false;  // the model predicts at every position ([N, T, outputs]), not at the last
  std::string shape() const;  // "tokens [3] over 98 ids", "vectors [22, 6]", "features [784]", "images [1, 28, 28]"
  std::string describe() const;
  double values_per_example() const;  // numbers one example's inputs hold (tokens: T; vectors: T x D; ...)
};

// Lower bounds on what a run holds in memory, from its options alone (before anything is built):
// `phenom run` refuses a spec whose bounds exceed the machine's memory.
struct DataSize {
  double train = 0;  // examples in the fixed training split (0: streamed or unknown)
  double held = 0;   // examples kept in memory: training split and evaluation sets together
};
struct ModelSize {
  double parameters = 0;              // weights (biases and norms aside)
  double activations_per_example = 0;  // forward-pass values kept for the backward pass, per example
};

// Base of every component's options. Concrete structs add fields and declare them in visit().
struct OptionsBase {
  virtual ~OptionsBase() = default;
  virtual void visit(Visitor& v) = 0;
  // Cross-field rules within one component: return problems as (key, message) pairs.
  virtual void check(std::vector<std::pair<std::string, std::string>>& /*problems*/) const {}
};

// The structure of a task over the residues mod p, for instruments that read it (the Fourier
// probe's basis and its restricted and excluded losses).
struct ModularStructure {
  int64_t modulus = 0;
  int sign = 0;                 // +1: a + b; -1: a - b; 0: another operation
  bool multiplicative = false;  // a * b or a / b: additive in the discrete logs
  std::string operation;        // its name, for notes
};

struct TaskOptions : OptionsBase {
  virtual InputSpec inputs() const = 0;
  // The values of train.loss the task's objective can take.
  virtual std::vector<Loss> losses() const {
    return inputs().regression ? std::vector<Loss>{Loss::kMse, Loss::kHalfSse}
                               : std::vector<Loss>{Loss::kCrossEntropy, Loss::kMse, Loss::kHalfSse};
  }
  // True when the task draws fresh examples every step (no fixed training set): train.batch_size
  // must then be a number.
  virtual bool streamed() const { return false; }
  // Lower bounds (0: not estimated).
  virtual DataSize data_size() const { return {}; }
  // A table of (a op b) mod p offers its structure; other tasks none.
  virtual std::optional<ModularStructure> modular_structure() const { return std::nullopt; }
};

struct ModelOptions : OptionsBase {
  // "" if the model can consume these inputs, else why not.
  virtual std::string accepts(const InputSpec& inputs) const = 0;
  // True if the only trainable part is a linear readout of fixed features (train.fit: min_norm).
  virtual bool linear_readout() const { return false; }
  // Lower bounds on the model's size for these inputs (0: not estimated).
  virtual ModelSize size(const InputSpec& /*inputs*/) const { return {}; }
};

// What instruments may ask of any optimizer, without knowing which it is: the stability
// thresholds of the Hessian probe (2/lr for gradient descent, (2 + 2 momentum)/lr with heavy-ball
// momentum; (2 + 2 beta1)/((1 - beta1) lr) for Adam's preconditioned Hessian).
struct StepRuleFacts {
  bool gradient_descent = false;  // plain (heavy-ball) gradient descent
  double momentum = 0.0;          // its momentum
  bool adam = false;              // the update is Adam's (with its preconditioner)
  double beta1 = 0.0;             // Adam's first-moment decay
};

// A learning-rate schedule is a pure function of the step: lr(step) = optimizer.lr * factor(step).
// Every optimizer has a base learning rate, which the schedule multiplies.
struct OptimizerOptions : OptionsBase {
  double lr = 0.1;
  virtual StepRuleFacts facts() const { return {}; }
};

struct ScheduleOptions : OptionsBase {
  virtual double factor(int64_t step, int64_t total_steps) const = 0;
};

// Probes and detectors share a cadence / naming convention through their own bases.
struct ProbeOptions : OptionsBase {
  Cadence every;  // unset: train.eval_every
  // The task type the probe reads (its evaluation prompts, its table), or "" for any task.
  virtual std::string needs_task() const { return ""; }
  // Why the probe cannot run on a saved checkpoint (`phenom analyze`), or "" when it can.
  virtual std::string training_only() const { return ""; }
};

}  // namespace phenom
