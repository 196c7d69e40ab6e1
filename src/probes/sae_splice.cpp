#include "probes/sae_splice.h"

#include <cmath>
#include <regex>

#include "models/model.h"
#include "probes/activations.h"
#include "tasks/task.h"

namespace phenom {
namespace {

double loss_with(Model& model, const Task& task, Loss loss, const Batch& set, const std::string& hook,
                 Intervention iv) {
  model.hooks().intervene(hook, std::move(iv));
  const torch::Tensor outputs = model.forward(set.inputs);
  model.hooks().clear();
  return task.score(loss, outputs, set).loss;
}

}  // namespace

SpliceLosses splice_losses(Model& model, const Task& task, Loss loss, const Batch& set,
                           const std::string& hook, const std::string& position, const SaeWeights& sae) {
  torch::NoGradGuard no_grad;
  SpliceLosses out;
  model.hooks().capture(hook);
  out.clean = task.score(loss, model.forward(set.inputs), set).loss;
  const torch::Tensor activation = model.hooks().cached(hook);
  model.hooks().clear();
  const int64_t position_axis = hook_axes(hook, activation.dim()).position;
  if (position_axis >= 0) out.context_size = activation.size(position_axis);
  std::vector<std::pair<int64_t, int64_t>> at;
  if (position_axis >= 0 && position != "all") {
    at.push_back({position_axis, position == "last" ? activation.size(position_axis) - 1 : std::stoll(position)});
  }
  Intervention splice{Intervention::Kind::kFunction, {}, {}, at, [sae, position_axis](const torch::Tensor& a) {
                        // Rows as the SAE was fitted on: [B, T, d_in] (positions first) or [B, d_in].
                        const torch::Tensor y = position_axis >= 0 ? a.movedim(position_axis, 1) : a;
                        const torch::Tensor flat = y.flatten(position_axis >= 0 ? 2 : 1).to(sae.W_enc.scalar_type());
                        torch::Tensor out = sae.decode(sae.encode(flat)).to(a.scalar_type()).view(y.sizes());
                        return position_axis >= 0 ? out.movedim(1, position_axis) : out;
                      }};
  out.spliced = loss_with(model, task, loss, set, hook, std::move(splice));
  out.zero = loss_with(model, task, loss, set, hook, {Intervention::Kind::kZero, {}, {}, at, {}});
  if (std::abs(out.zero - out.clean) > 1e-12) out.recovered = (out.zero - out.spliced) / (out.zero - out.clean);
  return out;
}

std::map<std::string, torch::Tensor> saelens_weights(const SaeWeights& sae) {
  auto file = [](const torch::Tensor& t) { return t.to(torch::kCPU, torch::kFloat).contiguous(); };
  return {{"W_enc", file(sae.W_enc)}, {"b_enc", file(sae.b_enc)}, {"W_dec", file(sae.W_dec)}, {"b_dec", file(sae.b_dec)}};
}

nlohmann::ordered_json saelens_config(const SaeWeights& sae, const std::string& hook, int64_t context_size,
                                      const std::string& model_name, const std::string& dataset, double l1) {
  using Json = nlohmann::ordered_json;
  std::smatch layer;
  const bool layered = std::regex_search(hook, layer, std::regex(R"(^(?:blocks|layers)\.(\d+)\.)"));
  return Json{{"architecture", "standard"},
              {"d_in", sae.d_in()},
              {"d_sae", sae.d_sae()},
              {"dtype", "float32"},
              {"device", "cpu"},
              {"model_name", model_name},
              {"hook_name", hook},
              {"hook_layer", layered ? std::stoll(layer[1].str()) : 0},
              {"hook_head_index", nullptr},
              {"activation_fn_str", sae.k > 0 ? "topk" : "relu"},
              {"activation_fn_kwargs", sae.k > 0 ? Json{{"k", sae.k}} : Json::object()},
              {"apply_b_dec_to_input", true},
              {"finetuning_scaling_factor", false},
              {"normalize_activations", "none"},
              {"context_size", context_size},
              {"prepend_bos", false},
              {"dataset_path", dataset},
              {"l1_coefficient", sae.k > 0 ? 0.0 : l1},
              {"scale_sparsity_penalty_by_decoder_norm", true},
              {"model_from_pretrained_kwargs", Json::object()},
              {"neuronpedia_id", nullptr}};
}

}  // namespace phenom
