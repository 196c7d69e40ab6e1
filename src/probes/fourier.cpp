// fourier probe: how concentrated each unit's weights are in frequency (inverse participation
// ratio), and which frequencies the model uses. Random weights spread their power over all
// frequencies (IPR ~ 2/(p/2)); grokked modular-addition networks put each neuron on one frequency
// (IPR near 1) and use a handful of key frequencies (Nanda et al. 2023; Gromov 2023).
#include "probes/fourier.h"

#include <limits>

#include "models/model.h"
#include "probes/fourier_math.h"
#include "probes/probe.h"
#include "tasks/modular_arithmetic.h"
#include "tasks/task.h"
#include "train/loss.h"
#include "train/experiment.h"

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
  double held = 0;
  for (int64_t i = 0; i < order.size(0); ++i) {
    int64_t f = order[i].item<int64_t>();
    s.strongest.push_back(f + 1);
    if (held < key_fraction * all) s.key_frequencies.push_back(f + 1);
    held += by_frequency[f].item<double>();
  }
  std::sort(s.key_frequencies.begin(), s.key_frequencies.end());
}

}  // namespace

FourierStats fourier_stats(const torch::Tensor& weights, int64_t p, double key_fraction) {
  torch::NoGradGuard no_grad;
  auto w = weights.detach().to(torch::kCPU, torch::kDouble);
  const int64_t blocks = w.size(0) / p, units = w.size(1), n_freq = p / 2 + 1;
  auto spectrum = torch::fft::fft(w.view({blocks, p, units}), /*n=*/c10::nullopt, /*dim=*/1).abs().pow(2);  // [blocks, p, units]
  auto k_power = spectrum.sum(0);  // [p, units]
  auto power = torch::zeros({n_freq, units}, torch::kDouble);
  power[0] = k_power[0];
  for (int64_t f = 1; f < n_freq; ++f) {
    power[f] = (2 * f == p) ? k_power[f] : k_power[f] + k_power[p - f];
  }
  FourierStats s;
  s.power = power;
  auto total = power.sum(0);
  s.ipr = safe_ratio(power.pow(2).sum(0), total.pow(2));
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
  rank_frequencies(s, non_constant, key_fraction);
  return s;
}

LogitSplit split_logits(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& key_frequencies, int sign) {
  torch::NoGradGuard no_grad;
  auto L = logits.detach().to(torch::kCPU, torch::kDouble);
  auto r = torch::arange(p, torch::kLong);
  // s[a, b, c] = (a + sign*b - c) mod p, flattened like L.
  auto s = ((r.view({p, 1, 1}) + sign * r.view({1, p, 1}) - r.view({1, 1, p})) % p + p) % p;
  s = s.view({p * p, p});
  // g[t] = sum of L over the cells with s = t; the projection onto cos/sin(w s) only needs g.
  auto g = torch::zeros({p}, torch::kDouble).index_add_(0, s.flatten(), L.flatten());
  auto t = torch::arange(p, torch::kDouble);
  auto h = torch::zeros({p}, torch::kDouble);  // restricted logit as a function of s
  const double cells = static_cast<double>(p * p * p);
  for (int64_t k : key_frequencies) {
    auto angle = t * (2 * M_PI * static_cast<double>(k) / static_cast<double>(p));
    const double norm = (2 * k == p) ? cells : cells / 2;  // squared norm of cos(w s) on the grid
    auto cos_part = (g * angle.cos()).sum() / norm, sin_part = (g * angle.sin()).sum() / norm;
    h += cos_part * angle.cos() + sin_part * angle.sin();
  }
  LogitSplit split;
  split.restricted = h.index({s});
  split.excluded = L - split.restricted;
  return split;
}

namespace {

class Fourier : public Probe {
 public:
  explicit Fourier(const FourierOptions& o) : Probe(o.every), options_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    FourierStats s = compute(c);
    row.set("fourier/ipr_median", s.ipr.median().item<double>());
    row.set("fourier/ipr_mean", s.ipr.mean().item<double>());
    row.set("fourier/top_fraction_median", s.top_fraction.median().item<double>());
    row.set("fourier/n_key_freqs", static_cast<double>(s.key_frequencies.size()));
    if (sign_ != 0) {
      // Progress measures over the full table: the loss of the key-frequency part of the logits
      // alone (restricted, all pairs) and of the logits without it (excluded, training pairs).
      const InputSpec inputs = c.task.inputs();
      const int64_t p = inputs.num_classes;
      torch::NoGradGuard no_grad;
      c.model.eval();
      const bool neurons = has_hook(c.model, "blocks.0.mlp.hook_post");
      if (neurons) c.model.hooks().capture("blocks.0.mlp.hook_post");
      auto logits = c.model.forward(full_table(p, c.task.train().inputs.device()));
      if (neurons) {
        // MLP neurons at the readout position as functions of (a, b): [p*p, d_mlp].
        auto post = c.model.hooks().cached("blocks.0.mlp.hook_post").select(1, -1);
        c.model.hooks().clear();
        FourierStats n = neuron_fourier_stats(post, p, options_.key_power_fraction);
        row.set("fourier/mlp_ipr_median", n.ipr.median().item<double>());
        row.set("fourier/mlp_top_fraction_median", n.top_fraction.median().item<double>());
      }
      c.model.train();
      const size_t k = std::min<size_t>(options_.restricted_frequencies, s.strongest.size());
      LogitSplit split = split_logits(logits, p, {s.strongest.begin(), s.strongest.begin() + k}, sign_);
      auto targets = ((torch::arange(p * p, torch::kLong).div(p, "floor") + sign_ * (torch::arange(p * p, torch::kLong) % p)) % p + p) % p;
      const auto& train = c.task.train();
      auto train_rows = (train.inputs.select(1, 0) * p + train.inputs.select(1, 1)).to(torch::kCPU);
      row.set("fourier/restricted_loss", compute_loss(c.spec.train.loss, split.restricted, targets).item<double>());
      row.set("fourier/excluded_loss",
              compute_loss(c.spec.train.loss, split.excluded.index_select(0, train_rows), targets.index_select(0, train_rows))
                  .item<double>());
    }
  }

  void summarize(ProbeContext& c, Json& out) override {
    FourierStats s = compute(c);
    out["parameter"] = parameter_;
    out["key_frequencies"] = s.key_frequencies;
    out["ipr_median"] = s.ipr.median().item<double>();
    // How many units have each frequency as their strongest.
    Json counts = Json::object();
    auto top = s.top_frequency;
    for (int64_t i = 0; i < top.size(0); ++i) {
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
    return fourier_stats(w, p, options_.key_power_fraction);
  }

  static bool has_hook(Model& model, const std::string& name) {
    const auto& names = model.hooks().names();
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // Every pair [a, b, =] in row order a*p + b.
  static torch::Tensor full_table(int64_t p, torch::Device device) {
    auto i = torch::arange(p * p, torch::kLong);
    return torch::stack({i.div(p, "floor"), i % p, torch::full({p * p}, p, torch::TensorOptions().dtype(torch::kLong))}, 1).to(device);
  }

 public:
  int sign_ = 0;  // +1 for add, -1 for sub; 0: no restricted/excluded loss

 private:
  FourierOptions options_;
  std::string parameter_;
};

}  // namespace

std::unique_ptr<Probe> build_fourier(const ProbeOptions& o, BuildContext& context) {
  if (context.inputs.kind != InputSpec::Kind::kTokens) {
    throw std::invalid_argument("the fourier probe needs a modular-arithmetic (token) task");
  }
  auto probe = std::make_unique<Fourier>(dynamic_cast<const FourierOptions&>(o));
  if (const auto* task = dynamic_cast<const ModularArithmeticOptions*>(context.spec.task.options.get())) {
    probe->sign_ = task->operation == "add" ? 1 : task->operation == "sub" ? -1 : 0;
  }
  return probe;
}

}  // namespace phenom
