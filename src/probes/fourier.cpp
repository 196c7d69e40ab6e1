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
  auto w = weights.detach().to(torch::kCPU, torch::kDouble);
  const int64_t blocks = w.size(0) / p, units = w.size(1), n_freq = p / 2 + 1;
  auto spectrum = torch::fft::fft(w.view({blocks, p, units}), /*n=*/c10::nullopt, /*dim=*/1).abs().pow(2);  // [blocks, p, units]
  auto k_power = spectrum.sum(0).contiguous();  // [p, units]
  // Frequency f collects DFT indices f and p - f (once when they coincide, f = 0 or p/2).
  auto power = torch::zeros({n_freq, units}, torch::kDouble);
  const double* k = k_power.data_ptr<double>();
  double* out = power.data_ptr<double>();
  for (int64_t f = 0; f < n_freq; ++f) {
    for (int64_t u = 0; u < units; ++u) {
      out[f * units + u] = k[f * units + u] + ((f == 0 || 2 * f == p) ? 0.0 : k[(p - f) * units + u]);
    }
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
  auto L = logits.detach().to(torch::kCPU, torch::kDouble).contiguous();
  // s(a, b, c) = (a + sign*b - c) mod p for the cell (row a*p + b, column c): for fixed (a, b) it
  // starts at base = (a + sign*b) mod p and steps down by one per column, wrapping at 0.
  auto base = [p, sign](int64_t a, int64_t b) { return (((a + sign * b) % p) + p) % p; };
  // g[t] = sum of L over the cells with s = t; the projection onto cos/sin(w s) only needs g.
  // (Loops over the p^3 cells: no p^3 index tensor is built.)
  std::vector<double> g(p, 0.0);
  const double* l = L.data_ptr<double>();
  for (int64_t a = 0; a < p; ++a) {
    for (int64_t b = 0; b < p; ++b) {
      const double* row = l + (a * p + b) * p;
      for (int64_t c = 0, t = base(a, b); c < p; ++c, t = t == 0 ? p - 1 : t - 1) g[t] += row[c];
    }
  }
  auto g_tensor = torch::tensor(g, torch::kDouble);
  auto t = torch::arange(p, torch::kDouble);
  auto h = torch::zeros({p}, torch::kDouble);  // restricted logit as a function of s
  const double cells = static_cast<double>(p * p * p);
  for (int64_t k : key_frequencies) {
    auto angle = t * (2 * M_PI * static_cast<double>(k) / static_cast<double>(p));
    const double norm = (2 * k == p) ? cells : cells / 2;  // squared norm of cos(w s) on the grid
    auto cos_part = (g_tensor * angle.cos()).sum() / norm, sin_part = (g_tensor * angle.sin()).sum() / norm;
    h += cos_part * angle.cos() + sin_part * angle.sin();
  }
  LogitSplit split;
  split.restricted = torch::empty({p * p, p}, torch::kDouble);
  const double* hv = h.data_ptr<double>();
  double* out = split.restricted.data_ptr<double>();
  for (int64_t a = 0; a < p; ++a) {
    for (int64_t b = 0; b < p; ++b) {
      double* row = out + (a * p + b) * p;
      for (int64_t c = 0, t = base(a, b); c < p; ++c, t = t == 0 ? p - 1 : t - 1) row[c] = hv[t];
    }
  }
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
