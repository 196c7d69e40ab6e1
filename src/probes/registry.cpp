// Probes: one line per probe.
#include "probes/ablation.h"
#include "probes/basic.h"
#include "probes/cka.h"
#include "probes/dictionary.h"
#include "probes/fourier.h"
#include "probes/flatness.h"
#include "probes/hessian.h"
#include "probes/icl_regression.h"
#include "probes/linear_probe.h"
#include "probes/patching.h"
#include "probes/pca.h"
#include "probes/sae.h"
#include "probes/steering.h"
#include "spec/component.h"

namespace phenom {

std::unique_ptr<Probe> build_loss_accuracy(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_weight_norm(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_grad_norm(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_lr(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_fourier(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_icl_regression(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_pca(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_cka(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_ablation(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_linear_probe(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_patching(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_steering(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_sae(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_dictionary(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_hessian(const ProbeOptions&, BuildContext&);
std::unique_ptr<Probe> build_flatness(const ProbeOptions&, BuildContext&);

const std::vector<ProbeEntry>& probe_registry() {
  static const std::vector<ProbeEntry> registry = {
      {"loss_accuracy", "train/loss, train/acc, test/loss, test/acc on the full splits (on by default)",
       make_options<ProbeOptions, LossAccuracyOptions>, build_loss_accuracy},
      {"weight_norm", "total L2 norm of the parameters (weight_norm) and per tensor", make_options<ProbeOptions, WeightNormOptions>, build_weight_norm},
      {"grad_norm", "L2 norm of the last step's gradient", make_options<ProbeOptions, GradNormOptions>, build_grad_norm},
      {"lr", "the scheduled learning rate", make_options<ProbeOptions, EmptyProbeOptions>, build_lr},
      {"fourier", "modular arithmetic: per-unit Fourier IPR over residues, top-frequency power, key frequencies",
       make_options<ProbeOptions, FourierOptions>, build_fourier},
      {"icl_regression", "in-context regression: error at each context length k and distance to least squares, "
                         "ridge, averaging, k-NN, zero and (finite pool) the pool's Bayes predictor",
       make_options<ProbeOptions, IclRegressionProbeOptions>, build_icl_regression},
      {"pca", "principal components of a hook's activations on an evaluation set: explained variance, participation "
              "ratio, dimensions for 90% (phenom analyze also keeps components and coordinates)",
       make_options<ProbeOptions, PcaOptions>, build_pca},
      {"cka", "linear CKA between the activations of two or more hooks on the same examples (1: the same up to "
              "rotation and scale; phenom analyze also keeps the matrix)",
       make_options<ProbeOptions, CkaOptions>, build_cka},
      {"ablation", "loss and accuracy with a hook's activation replaced by its mean over the set (or zeros), per hook "
                   "and optionally per unit (phenom analyze also keeps the per-unit table)",
       make_options<ProbeOptions, AblationOptions>, build_ablation},
      {"linear_probe", "held-out accuracy (or R^2) of a linear map from a hook's activations to a task attribute "
                       "(e.g. a, b, label), against a shuffled-label control",
       make_options<ProbeOptions, LinearProbeOptions>, build_linear_probe},
      {"patching", "activation patching: the fraction of the clean-minus-corrupted logit difference (or loss) "
                   "recovered when a hook's clean activation, whole or at one position or head, is patched into "
                   "the task's corrupted inputs (phenom analyze also keeps the tables)",
       make_options<ProbeOptions, PatchingOptions>, build_patching},
      {"steering", "steering vectors: the mean activation difference between two values of a task attribute, "
                   "added with scale alpha; the fraction then answered as the target value's examples are",
       make_options<ProbeOptions, SteeringOptions>, build_steering},
      {"sae", "a sparse autoencoder fitted to a hook's activations: explained variance, L0, dead features, and the "
              "task's loss with the reconstruction spliced in (phenom analyze also saves it in SAELens' layout)",
       make_options<ProbeOptions, SaeOptions>, build_sae},
      {"dictionary", "an SAE run (model sae on task activations): explained variance, L0, dead and dense features on "
                     "held-out rows, and the source model's loss with the SAE spliced in (phenom analyze also saves "
                     "it in SAELens' layout)",
       make_options<ProbeOptions, DictionaryOptions>, build_dictionary},
      {"hessian", "top Hessian eigenvalues of the training objective (Lanczos; sharpness against the stability "
                  "threshold 2/lr of gradient descent) and its Hutchinson trace, on a fixed set",
       make_options<ProbeOptions, HessianOptions>, build_hessian},
      {"flatness", "Keskar's epsilon-box sharpness (projected ascent in the box |y| <= eps (|w| + 1)) and, at the end, "
                   "1-D loss slices along a random and the top-eigenvector direction",
       make_options<ProbeOptions, FlatnessOptions>, build_flatness},
  };
  return registry;
}

}  // namespace phenom
