// sae/<hook>/{explained_variance, mse, l0, dead_fraction, dense_fraction, d_sae} on the fitted
// rows, and the task's loss on the set with the hook's activation as is (loss_clean), replaced by the SAE's
// reconstruction (loss_spliced) and zeroed (loss_zero); loss_recovered = (zero - spliced) /
// (zero - clean), SAELens' CE loss score. Tensors sae/<hook>/feature_density [d_sae] (fraction
// of rows on which each feature is active); exports <hook>/{cfg.json, sae_weights.safetensors}.
#include "probes/sae.h"

#include <cmath>
#include <regex>

#include "core/seed.h"
#include "models/model.h"
#include "probes/activations.h"
#include "probes/probe.h"
#include "probes/sae_math.h"
#include "tasks/task.h"

namespace phenom {
namespace {

class Sae : public Probe {
 public:
  explicit Sae(const SaeOptions& o) : Probe(o.every), o_(o) {}

  void measure(ProbeContext& c, MetricRow& row) override {
    require_hooks(c, {o_.hook}, "sae");
    const Batch set = first_examples(c, o_.set, o_.max_examples, "sae");
    const torch::Tensor x = activations(c, {o_.hook}, {"sae", o_.set, o_.position, set.size()})[0].to(torch::kFloat);
    SaeTraining t;
    t.d_sae = o_.d_sae > 0 ? o_.d_sae : o_.expansion * x.size(1);
    t.k = o_.k;
    t.l1 = o_.k > 0 ? 0.0 : o_.l1;
    t.steps = o_.steps;
    t.batch = o_.batch;
    t.lr = o_.lr;
    t.seed = derive_seed(c.spec.seed, Stream::kProbe, 0x736165);
    const SaeWeights sae = train_sae(x, t);
    const SaeFit fit = sae_fit(sae, x);
    const std::string p = "sae/" + o_.hook + "/";
    row.set(p + "explained_variance", fit.explained_variance);
    row.set(p + "mse", fit.mse);
    row.set(p + "l0", fit.l0);
    row.set(p + "dead_fraction", fit.dead_fraction);
    row.set(p + "dense_fraction", fit.dense_fraction);
    row.set(p + "d_sae", static_cast<double>(t.d_sae));

    // The splice: the SAE's reconstruction in place of the activation, at the fitted positions.
    torch::NoGradGuard no_grad;
    c.model.hooks().capture(o_.hook);
    const double clean = c.task.score(c.spec.train.loss, c.model.forward(set.inputs), set).loss;
    const torch::Tensor activation = c.model.hooks().cached(o_.hook);
    c.model.hooks().clear();
    const int64_t position_axis = hook_axes(o_.hook, activation.dim()).position;
    std::vector<std::pair<int64_t, int64_t>> at;
    if (position_axis >= 0 && o_.position != "all") {
      at.push_back({position_axis, o_.position == "last" ? activation.size(position_axis) - 1 : std::stoll(o_.position)});
    }
    Intervention splice{Intervention::Kind::kFunction, {}, {}, at, [sae, position_axis](const torch::Tensor& a) {
                          // Rows as the SAE was fitted on: [B, T, d_in] (positions first) or [B, d_in].
                          const torch::Tensor y = position_axis >= 0 ? a.movedim(position_axis, 1) : a;
                          const torch::Tensor flat = y.flatten(position_axis >= 0 ? 2 : 1).to(sae.W_enc.scalar_type());
                          torch::Tensor out = sae.decode(sae.encode(flat)).to(a.scalar_type()).view(y.sizes());
                          return position_axis >= 0 ? out.movedim(1, position_axis) : out;
                        }};
    const double spliced = loss_with(c, set, std::move(splice));
    const double zero = loss_with(c, set, {Intervention::Kind::kZero, {}, {}, at, {}});
    row.set(p + "loss_clean", clean);
    row.set(p + "loss_spliced", spliced);
    row.set(p + "loss_zero", zero);
    if (std::abs(zero - clean) > 1e-12) row.set(p + "loss_recovered", (zero - spliced) / (zero - clean));

    if (c.tensors) (*c.tensors)[p + "feature_density"] = fit.density.to(torch::kFloat).contiguous();
    if (c.exports) {
      Export& e = (*c.exports)[o_.hook];
      e.json["cfg.json"] = config(c, sae, activation);
      e.safetensors["sae_weights.safetensors"] = {
          {"W_enc", sae.W_enc.contiguous()}, {"b_enc", sae.b_enc}, {"W_dec", sae.W_dec.contiguous()}, {"b_dec", sae.b_dec}};
    }
  }

 private:
  double loss_with(ProbeContext& c, const Batch& set, Intervention iv) const {
    c.model.hooks().intervene(o_.hook, std::move(iv));
    const torch::Tensor outputs = c.model.forward(set.inputs);
    c.model.hooks().clear();
    return c.task.score(c.spec.train.loss, outputs, set).loss;
  }

  // SAELens' cfg.json for a "standard" SAE (SAE.load_from_disk reads it with the weights).
  Probe::Json config(const ProbeContext& c, const SaeWeights& sae, const torch::Tensor& activation) const {
    std::smatch layer;
    const bool layered = std::regex_search(o_.hook, layer, std::regex(R"(^(?:blocks|layers)\.(\d+)\.)"));
    const int64_t position_axis = hook_axes(o_.hook, activation.dim()).position;
    return Json{{"architecture", "standard"},
                {"d_in", sae.d_in()},
                {"d_sae", sae.d_sae()},
                {"dtype", "float32"},
                {"device", "cpu"},
                {"model_name", c.spec.name},
                {"hook_name", o_.hook},
                {"hook_layer", layered ? std::stoll(layer[1].str()) : 0},
                {"hook_head_index", nullptr},
                {"activation_fn_str", sae.k > 0 ? "topk" : "relu"},
                {"activation_fn_kwargs", sae.k > 0 ? Json{{"k", sae.k}} : Json::object()},
                {"apply_b_dec_to_input", true},
                {"finetuning_scaling_factor", false},
                {"normalize_activations", "none"},
                {"context_size", position_axis >= 0 ? activation.size(position_axis) : 1},
                {"prepend_bos", false},
                {"dataset_path", c.spec.task.type + ":" + o_.set},
                {"l1_coefficient", sae.k > 0 ? 0.0 : o_.l1},
                {"scale_sparsity_penalty_by_decoder_norm", true},
                {"model_from_pretrained_kwargs", Json::object()},
                {"neuronpedia_id", nullptr}};
  }

  SaeOptions o_;
};

}  // namespace

std::unique_ptr<Probe> build_sae(const ProbeOptions& o, BuildContext&) {
  return std::make_unique<Sae>(dynamic_cast<const SaeOptions&>(o));
}

}  // namespace phenom
