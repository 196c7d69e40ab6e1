// Tasks: one line per task. `phenom list tasks` and "known tasks" come from here.
#include "spec/component.h"
#include "tasks/activations.h"
#include "tasks/fashion_mnist.h"
#include "tasks/icl_regression.h"
#include "tasks/linear_regression.h"
#include "tasks/modular_arithmetic.h"

namespace phenom {

std::unique_ptr<Task> build_modular_arithmetic(const TaskOptions&, BuildContext&);
std::unique_ptr<Task> build_fashion_mnist(const TaskOptions&, BuildContext&);
std::unique_ptr<Task> build_linear_regression(const TaskOptions&, BuildContext&);
std::unique_ptr<Task> build_icl_regression(const TaskOptions&, BuildContext&);
std::unique_ptr<Task> build_activations(const TaskOptions&, BuildContext&);

const std::vector<TaskEntry>& task_registry() {
  static const std::vector<TaskEntry> registry = {
      {"modular_arithmetic", "(a op b) mod p on the full table; tokens [a, b, =], answer at the last position",
       make_options<TaskOptions, ModularArithmeticOptions>, build_modular_arithmetic},
      {"fashion_mnist", "Fashion-MNIST images (Debian's dataset-fashion-mnist): class-balanced subsets, label noise, "
                        "random labels, shuffled/random pixels, Gaussian inputs",
       make_options<TaskOptions, FashionMnistOptions>, build_fashion_mnist},
      {"linear_regression", "y = x . beta + noise, x ~ N(0, I_d), |beta| = 1; real-valued targets (loss mse)",
       make_options<TaskOptions, LinearRegressionOptions>, build_linear_regression},
      {"icl_regression", "in-context linear regression (Garg et al. 2022; Raventós et al. 2023): prompts of (x, y) "
                         "pairs with a task vector w per prompt (fresh, or from a finite pool); vectors [2n, d + 1], "
                         "predictions at the x positions, loss mse",
       make_options<TaskOptions, IclRegressionOptions>, build_icl_regression},
      {"activations", "a saved run's activations at one hook point (rows of its train and test sets at a checkpoint) "
                      "as features to reconstruct: the data of an SAE run (model sae); loss mse",
       make_options<TaskOptions, ActivationsOptions>, build_activations},
  };
  return registry;
}

}  // namespace phenom
