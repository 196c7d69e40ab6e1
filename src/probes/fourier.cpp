// fourier probe: how concentrated each unit's weights are in frequency (inverse participation
// ratio), and which frequencies the model uses. Random weights spread their power over all
// frequencies (IPR ~ 2/(p/2)); grokked modular-addition networks put each neuron on one frequency
// (IPR near 1) and use a handful of key frequencies (Nanda et al. 2023; Gromov 2023).
#include "probes/fourier.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/build_context.h"
#include "models/model.h"
#include "ops/dense.h"
#include "ops/loss.h"
#include "probes/fourier_math.h"
#include "probes/probe.h"
#include "tasks/task.h"

namespace phenom {

namespace {
// a / b, and 0 where b is 0 (a dead ReLU neuron or an all-zero weight column has no spectrum).
torch::Tensor safe_ratio(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::where(b > 0, a / b.clamp_min(std::numeric_limits<double>::min()), torch::zeros_like(a));
}
// From s.power: each unit's strongest frequency and its share of `unit_total`, and over all units
// the frequencies f >= 1 ranked by power (the constant f = 0 is ignored) and the key ones.
void rank_frequencies(FourierStats& s, const torch::Tensor& unit_total, double key_fraction) {
  auto top = s.power.max(0);
  s.top_fraction = safe_ratio(std::get<0>(top), unit_total);
  s.top_frequency = std::get<1>(top);
  auto by_frequency = s.power.slice(0, 1).sum(1);  // [n_freq - 1]
  auto order = by_frequency.argsort(0, /*descending=*/true);
  const double all = by_frequency.sum().item<double>();
  const torch::Tensor order_cpu = order.contiguous(), power_cpu = by_frequency.contiguous();
  const int64_t* ranked = order_cpu.data_ptr<int64_t>();
  const double* power_of = power_cpu.data_ptr<double>();
  double held = 0;
  for (int64_t i = 0; i < order_cpu.size(0); ++i) {
    const int64_t f = ranked[i];
    s.strongest.push_back(f + 1);
    if (held < key_fraction * all) s.key_frequencies.push_back(f + 1);
    held += power_of[f];
  }
  std::sort(s.key_frequencies.begin(), s.key_frequencies.end());
}

}  // namespace

FourierStats fourier_stats(const torch::Tensor& weights, int64_t p, double key_fraction) {
  torch::NoGradGuard no_grad;
  torch::Tensor w = weights.detach().to(torch::kCPU);
  if (w.scalar_type() != torch::kFloat) w = w.to(torch::kDouble);
  const int64_t blocks = w.size(0) / p, units = w.size(1), n_freq = p / 2 + 1;
  // The DFT at frequencies 0..p/2 as two small matrix products per block (cos and sin rows, the
  // angle f*r reduced mod p in integers so it stays exact); real weights have |F_{p-f}| = |F_f|.
  const torch::Tensor f = torch::arange(n_freq, torch::kLong).unsqueeze(1), r = torch::arange(p, torch::kLong).unsqueeze(0);
  const torch::Tensor angle = ((f * r) % p).to(torch::kDouble) * (2 * M_PI / static_cast<double>(p));
  const torch::Tensor cos_rows = angle.cos().to(w.scalar_type()), sin_rows = angle.sin().to(w.scalar_type());
  torch::Tensor power = torch::zeros({n_freq, units}, torch::kDouble);
  for (int64_t b = 0; b < blocks; ++b) {
    const torch::Tensor block = w.slice(0, b * p, (b + 1) * p);
    const torch::Tensor re = phenom::matmul(cos_rows, block), im = phenom::matmul(sin_rows, block);
    power += (re * re + im * im).to(torch::kDouble);
  }
  // Frequency f collects DFT indices f and p - f: twice |F_f|^2, except f = 0 and f = p/2, which
  // are their own partners.
  torch::Tensor pair = torch::full({n_freq, 1}, 2.0, torch::kDouble);
  pair[0] = 1.0;
  if (p % 2 == 0) pair[n_freq - 1] = 1.0;
  power *= pair;
  FourierStats s;
  s.power = power;
  auto total = power.sum(0);
  s.ipr = safe_ratio(power.pow(2).sum(0), total.pow(2));
  s.live = power.slice(0, 1).sum(0) > 0;
  rank_frequencies(s, total, key_fraction);
  return s;
}

FourierStats neuron_fourier_stats(const torch::Tensor& activations, int64_t p, double key_fraction) {
  torch::NoGradGuard no_grad;
  auto x = activations.detach().to(torch::kCPU, torch::kDouble);
  const int64_t units = x.size(1), n_freq = p / 2 + 1;
  auto spectrum = torch::fft::fft2(x.view({p, p, units}), c10::nullopt, {0, 1}).abs().pow(2).view({p * p, units});
  // fold[k] = min(k, p - k): the frequency of DFT index k.
  auto k = torch::arange(p, torch::kLong);
  auto fold = torch::minimum(k, p - k);
  auto fa = fold.view({p, 1}).expand({p, p}).reshape({p * p});
  auto fb = fold.view({1, p}).expand({p, p}).reshape({p * p});
  auto mask = torch::zeros({n_freq, p * p}, torch::kDouble);
  for (int64_t f = 1; f < n_freq; ++f) {
    mask[f] = (((fa == f) | (fa == 0)) & ((fb == f) | (fb == 0)) & ~((fa == 0) & (fb == 0))).to(torch::kDouble);
  }
  FourierStats s;
  s.power = mask.matmul(spectrum);  // [n_freq, units]
  auto non_constant = spectrum.sum(0) - spectrum[0];  // all but the (0, 0) term
  auto by_unit = s.power.sum(0);
  s.ipr = safe_ratio(s.power.pow(2).sum(0), by_unit.pow(2));
  s.live = by_unit > 0;
  rank_frequencies(s, non_constant, key_fraction);
  return s;
}

std::optional<double> live_median(const torch::Tensor& values, const torch::Tensor& live) {
  const torch::Tensor kept = live.all().item<bool>() ? values : values.masked_select(live);
  if (kept.numel() == 0) return std::nullopt;
  return kept.median().item<double>();
}

std::vector<int64_t> discrete_log_order(int64_t p) {
  if (p < 3) return {};
  for (int64_t d = 2; d * d <= p; ++d) {
    if (p % d == 0) return {};
  }
  for (int64_t g = 2; g < p; ++g) {
    std::vector<int64_t> order{1};
    for (int64_t x = g; x != 1; x = x * g % p) order.push_back(x);
    if (static_cast<int64_t>(order.size()) == p - 1) return order;  // g generates every nonzero residue
  }
  return {};
}

namespace {

int64_t residue(int64_t v, int64_t p) { return ((v % p) + p) % p; }

// h(s) for s in [0, p): the projection of the logits onto cos/sin(w_k s) at the key frequencies,
// s(a, b, c) = (a + sign*b - c) mod p. Only g(t), the sum of L over the cells with s = t, is
// needed; for fixed (a, b) s starts at base = (a + sign*b) mod p and steps down by one per column,
// wrapping at 0, so one pass over the p^3 cells (no index tensor) collects it.
std::vector<double> restricted_profile(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& keys, int sign) {
  // by_base[base][c]: the rows with that base summed (contiguous additions); then g[t] collects
  // column c of base `base` at t = (base - c) mod p.
  std::vector<double> by_base(p * p, 0.0), g(p, 0.0);
  const torch::Tensor L = logits.detach().to(torch::kCPU).contiguous();
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "restricted_profile", [&] {
    const scalar_t* l = L.data_ptr<scalar_t>();
    for (int64_t a = 0; a < p; ++a) {
      for (int64_t b = 0; b < p; ++b) {
        const scalar_t* __restrict row = l + (a * p + b) * p;
        double* __restrict sum = by_base.data() + residue(a + sign * b, p) * p;
        for (int64_t c = 0; c < p; ++c) sum[c] += static_cast<double>(row[c]);
      }
    }
  });
  for (int64_t base = 0; base < p; ++base) {
    for (int64_t c = 0; c < p; ++c) g[residue(base - c, p)] += by_base[base * p + c];
  }
  std::vector<double> h(p, 0.0);
  const double cells = static_cast<double>(p * p * p);
  for (int64_t k : keys) {
    const double w = 2 * M_PI * static_cast<double>(k) / static_cast<double>(p);
    const double norm = (2 * k == p) ? cells : cells / 2;  // squared norm of cos(w s) on the grid
    double cos_part = 0, sin_part = 0;
    for (int64_t t = 0; t < p; ++t) cos_part += g[t] * std::cos(w * t), sin_part += g[t] * std::sin(w * t);
    for (int64_t t = 0; t < p; ++t) h[t] += (cos_part * std::cos(w * t) + sin_part * std::sin(w * t)) / norm;
  }
  return h;
}

// Row (a, b) of the restricted logits with base = (a + sign*b) mod p: column c holds h at
// s = (base - c) mod p, i.e. h[base], h[base - 1], ..., h[0], then h[p - 1], ..., h[base + 1].
void restricted_row(const std::vector<double>& h, int64_t base, double* __restrict out) {
  const int64_t p = static_cast<int64_t>(h.size());
  for (int64_t c = 0; c <= base; ++c) out[c] = h[base - c];
  for (int64_t c = base + 1; c < p; ++c) out[c] = h[base - c + p];
}

// One row's loss against the target class: mse summed over classes (divide by p for the mean),
// cross_entropy as logsumexp - x_target.
double row_loss(const std::vector<double>& x, int64_t target, bool mse) {
  if (mse) return squared_error_to_one_hot(x.data(), static_cast<int64_t>(x.size()), target);
  const double top = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (double v : x) sum += std::exp(v - top);
  return top + std::log(sum) - x[target];
}

}  // namespace

LogitSplit split_logits(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& key_frequencies, int sign) {
  torch::NoGradGuard no_grad;
  const std::vector<double> h = restricted_profile(logits, p, key_frequencies, sign);
  LogitSplit split;
  split.restricted = torch::empty({p * p, p}, torch::kDouble);
  double* out = split.restricted.data_ptr<double>();
  for (int64_t a = 0; a < p; ++a) {
    for (int64_t b = 0; b < p; ++b) restricted_row(h, residue(a + sign * b, p), out + (a * p + b) * p);
  }
  split.excluded = logits.detach().to(torch::kCPU, torch::kDouble) - split.restricted;
  return split;
}

SplitLosses split_losses(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& key_frequencies, int sign,
                         Loss loss, const torch::Tensor& rows) {
  torch::NoGradGuard no_grad;
  const bool mse = loss == Loss::kMse || loss == Loss::kHalfSse;
  // A row's summed squared error, to the loss: mse averages over the p classes, half_sse halves it.
  const double per_row = loss == Loss::kHalfSse ? 2.0 : mse ? static_cast<double>(p) : 1.0;
  const std::vector<double> h = restricted_profile(logits, p, key_frequencies, sign);
  SplitLosses out;
  // Row (a, b) holds h at s = (base - c) mod p; its target c = base sits at s = 0, and a loss summed
  // over classes does not depend on their order, so every row's loss is h's against class 0.
  out.restricted = row_loss(h, 0, mse) / per_row;
  const torch::Tensor L = logits.detach().to(torch::kCPU).contiguous();
  const torch::Tensor r = rows.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* index = r.data_ptr<int64_t>();
  double total = 0;
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "split_losses", [&] {
    const scalar_t* l = L.data_ptr<scalar_t>();
    std::vector<double> excluded(p);
    for (int64_t i = 0; i < r.numel(); ++i) {
      const int64_t a = index[i] / p, b = index[i] % p, base = residue(a + sign * b, p);
      const scalar_t* row = l + index[i] * p;
      restricted_row(h, base, excluded.data());
      for (int64_t c = 0; c < p; ++c) excluded[c] = static_cast<double>(row[c]) - excluded[c];
      total += row_loss(excluded, base, mse);
    }
  });
  out.excluded = r.numel() == 0 ? 0.0 : total / static_cast<double>(r.numel()) / per_row;
  return out;
}

namespace {

class Fourier : public Probe {
 public:
  explicit Fourier(const FourierOptions& o) : Probe(o.every), options_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    FourierStats s = compute(c);
    // Dead units (no spectrum) are left out of the medians; with none alive there is nothing to report.
    if (const auto ipr = live_median(s.ipr, s.live)) {
      row.set("fourier/ipr_median", *ipr);
      row.set("fourier/ipr_mean", s.live.all().item<bool>() ? s.ipr.mean().item<double>()
                                                             : s.ipr.masked_select(s.live).mean().item<double>());
      row.set("fourier/top_fraction_median", *live_median(s.top_fraction, s.live));
    }
    row.set("fourier/n_key_freqs", static_cast<double>(s.key_frequencies.size()));
    if (c.tensors && parameter_ == "embed.W_E" && log_order_.empty()) key_directions(c, s, *c.tensors);
    if (sign_ != 0) {
      // Progress measures over the full table: the loss of the key-frequency part of the logits
      // alone (restricted, all pairs) and of the logits without it (excluded, training pairs).
      const InputSpec inputs = c.task.inputs();
      const int64_t p = inputs.num_classes;
      torch::NoGradGuard no_grad;
      c.model.eval();
      const bool neurons = has_hook(c.model, "blocks.0.mlp.hook_post");
      if (neurons) c.model.hooks().capture("blocks.0.mlp.hook_post");
      // Without activations to capture, the table's logits are the splits' (shared with loss_accuracy).
      auto logits = neurons ? c.model.forward(full_table(p, c.task.train().inputs.device())) : table_logits(c, p);
      if (neurons) {
        // MLP neurons at the readout position as functions of (a, b): [p*p, d_mlp].
        auto post = c.model.hooks().cached("blocks.0.mlp.hook_post").select(1, -1);
        c.model.hooks().clear();
        FourierStats n = neuron_fourier_stats(post, p, options_.key_power_fraction);
        if (const auto ipr = live_median(n.ipr, n.live)) {
          row.set("fourier/mlp_ipr_median", *ipr);
          row.set("fourier/mlp_top_fraction_median", *live_median(n.top_fraction, n.live));
        }
      }
      c.model.train();
      if (const auto keys = restricted_keys(s)) {
        SplitLosses losses = split_losses(logits, p, *keys, sign_, c.spec.train.loss, table_rows(c.task.train(), p));
        row.set("fourier/restricted_loss", losses.restricted);
        row.set("fourier/excluded_loss", losses.excluded);
      }
    }
  }

  void summarize(ProbeContext& c, Json& out) override {
    FourierStats s = compute(c);
    out["parameter"] = parameter_;
    out["basis"] = log_order_.empty() ? "residues" : "discrete log (powers of " + std::to_string(log_order_[1]) + ")";
    out["key_frequencies"] = s.key_frequencies;
    if (const auto ipr = live_median(s.ipr, s.live)) out["ipr_median"] = *ipr;
    out["dead_units"] = s.live.numel() - s.live.sum().item<int64_t>();
    std::vector<std::string> notes = notes_;
    if (sign_ != 0 && options_.restricted_frequencies.full()) {
      notes.push_back("restricted/excluded losses use the key frequencies found at each step and are left out at "
                      "steps where those are more than half of all frequencies (no sparse algorithm to "
                      "restrict to)" + std::string(restricted_keys(s) ? "" : ", as at the last step"));
    } else if (sign_ != 0 && static_cast<int64_t>(s.key_frequencies.size()) > options_.restricted_frequencies.n) {
      notes.push_back("the weights use " + std::to_string(s.key_frequencies.size()) + " key frequencies, more than "
                      "the " + std::to_string(options_.restricted_frequencies.n) + " the restricted loss keeps "
                      "(restricted_frequencies): the restricted/excluded losses leave part of the algorithm out");
    }
    if (!notes.empty()) out["notes"] = notes;
    // How many live units have each frequency as their strongest.
    Json counts = Json::object();
    auto top = s.top_frequency;
    for (int64_t i = 0; i < top.size(0); ++i) {
      if (!s.live[i].item<bool>()) continue;
      std::string f = std::to_string(top[i].item<int64_t>());
      counts[f] = counts.value(f, 0) + 1;
    }
    out["units_per_top_frequency"] = counts;
  }

 private:
  FourierStats compute(ProbeContext& c) {
    const InputSpec inputs = c.task.inputs();
    const int64_t p = inputs.operand_vocab > 0 ? inputs.operand_vocab : inputs.vocab_size;
    auto params = c.model.named_parameters();
    if (parameter_.empty()) {
      parameter_ = options_.parameter;
      if (parameter_ == "auto") parameter_ = params.contains("layers.0.weight") ? "layers.0.weight" : "embed.W_E";
    }
    if (!params.contains(parameter_)) {
      throw std::invalid_argument("fourier probe: the model has no parameter '" + parameter_ + "'");
    }
    auto w = params[parameter_];
    if (parameter_ == "embed.W_E") w = w.slice(0, 0, p);  // residues only, not '='
    if (w.dim() != 2 || w.size(0) % p != 0) {
      throw std::invalid_argument("fourier probe: '" + parameter_ + "' has shape " + c10::str(w.sizes()) +
                                  "; rows must be a multiple of p = " + std::to_string(p));
    }
    if (log_order_.empty()) return fourier_stats(w, p, options_.key_power_fraction);
    // a*b mod p is addition of discrete logs mod p-1: the rows of each block in that order (0 left out).
    std::vector<int64_t> rows;
    for (int64_t b = 0; b < w.size(0) / p; ++b) {
      for (int64_t r : log_order_) rows.push_back(b * p + r);
    }
    return fourier_stats(w.index_select(0, torch::tensor(rows, torch::kLong).to(w.device())), p - 1,
                         options_.key_power_fraction);
  }

  // phenom analyze: the embedding's directions of the key frequencies, fourier/key_directions
  // [2K, d_model] (rows W_E^T cos(w_k a), W_E^T sin(w_k a) over the residues a, for each key k in
  // fourier/key_frequencies): what ablation's mode project removes from hook_embed.
  void key_directions(ProbeContext& c, const FourierStats& s, std::map<std::string, torch::Tensor>& tensors) const {
    const InputSpec inputs = c.task.inputs();
    const int64_t p = inputs.operand_vocab > 0 ? inputs.operand_vocab : inputs.vocab_size;
    torch::NoGradGuard no_grad;
    const torch::Tensor w = c.model.named_parameters()["embed.W_E"].slice(0, 0, p).to(torch::kCPU, torch::kDouble);
    const torch::Tensor a = torch::arange(p, torch::kDouble);
    std::vector<torch::Tensor> basis;
    for (int64_t k : s.key_frequencies) {
      basis.push_back(torch::cos(a * (2 * M_PI * static_cast<double>(k) / static_cast<double>(p))));
      basis.push_back(torch::sin(a * (2 * M_PI * static_cast<double>(k) / static_cast<double>(p))));
    }
    if (basis.empty()) return;
    tensors["fourier/key_directions"] = torch::stack(basis).matmul(w).to(torch::kFloat).contiguous();
    tensors["fourier/key_frequencies"] = torch::tensor(s.key_frequencies, torch::kLong);
  }

  // The frequencies the restricted loss keeps at this step; nullopt where it is not meaningful.
  std::optional<std::vector<int64_t>> restricted_keys(const FourierStats& s) const {
    if (!options_.restricted_frequencies.full()) {
      const size_t k = std::min<size_t>(options_.restricted_frequencies.n, s.strongest.size());
      return std::vector<int64_t>(s.strongest.begin(), s.strongest.begin() + k);
    }
    if (2 * s.key_frequencies.size() > s.strongest.size()) return std::nullopt;
    return s.key_frequencies;
  }

  static bool has_hook(Model& model, const std::string& name) {
    const auto& names = model.hooks().names();
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // The logits of every pair in row order a*p + b: assembled from the train and test splits'
  // logits when the two splits hold each pair once between them, else one forward pass.
  torch::Tensor table_logits(ProbeContext& c, int64_t p) {
    const Batch &train = c.task.train(), &test = c.task.test();
    if (!splits_checked_) {
      splits_checked_ = true;
      if (train.size() + test.size() == p * p) {
        auto rows = torch::cat({table_rows(train, p), table_rows(test, p)});
        auto seen = torch::zeros({p * p}, rows.options());
        if (rows.min().item<int64_t>() >= 0 && rows.max().item<int64_t>() < p * p) {
          seen.index_add_(0, rows, torch::ones_like(rows));
          if (seen.eq(1).all().item<bool>()) train_rows_ = table_rows(train, p), test_rows_ = table_rows(test, p);
        }
      }
    }
    if (!train_rows_.defined()) return c.model.forward(full_table(p, train.inputs.device()));
    const torch::Tensor from_train = c.logits(train), from_test = c.logits(test);
    torch::Tensor table = torch::empty({p * p, from_train.size(1)}, from_train.options());
    table.index_copy_(0, train_rows_, from_train);
    table.index_copy_(0, test_rows_, from_test);
    return table;
  }

  // The table row a*p + b of each example of a split.
  static torch::Tensor table_rows(const Batch& split, int64_t p) {
    return (split.inputs.select(1, 0) * p + split.inputs.select(1, 1)).contiguous();
  }

  // Every pair [a, b, =] in row order a*p + b.
  static torch::Tensor full_table(int64_t p, torch::Device device) {
    auto i = torch::arange(p * p, torch::kLong);
    return torch::stack({i.div(p, "floor"), i % p, torch::full({p * p}, p, torch::TensorOptions().dtype(torch::kLong))}, 1).to(device);
  }

 public:
  int sign_ = 0;  // +1 for add, -1 for sub; 0: no restricted/excluded loss
  std::vector<int64_t> log_order_;  // mul/div on a prime: the discrete-log order of the residues
  std::vector<std::string> notes_;  // what the probe does not measure here, and why (summary.json)

 private:
  FourierOptions options_;
  std::string parameter_;
  bool splits_checked_ = false;
  torch::Tensor train_rows_, test_rows_;  // table rows of the splits' examples, when they tile the table
};

}  // namespace

std::unique_ptr<Probe> build_fourier(const ProbeOptions& o, BuildContext& context) {
  if (context.inputs.kind != InputSpec::Kind::kTokens) {
    throw std::invalid_argument("the fourier probe needs a modular-arithmetic (token) task");
  }
  auto probe = std::make_unique<Fourier>(dynamic_cast<const FourierOptions&>(o));
  if (const std::optional<ModularStructure> task = context.spec.task.options->modular_structure()) {
    probe->sign_ = task->sign;
    if (task->multiplicative) {
      probe->log_order_ = discrete_log_order(task->modulus);
      probe->notes_.push_back(probe->log_order_.empty()
                                  ? "mul on a composite modulus: residue Fourier is not the algorithm's basis and "
                                    "there is no discrete-log basis; read the IPRs with care"
                                  : "mul/div: frequencies are over the discrete logs of the nonzero residues (a*b "
                                    "is addition of logs mod p-1), not over residues");
    } else if (probe->sign_ == 0) {
      probe->notes_.push_back(task->operation +
                              ": frequencies are over residues, which need not be the algorithm's basis");
    }
    if (probe->sign_ == 0) probe->notes_.push_back("restricted/excluded losses are defined for add and sub only: not measured");
  }
  return probe;
}

}  // namespace phenom
