// Tasks: one line per task. `phenom list tasks` and "known tasks" come from here.
#include "spec/component.h"
#include "tasks/modular_arithmetic.h"

namespace phenom {

std::unique_ptr<Task> build_modular_arithmetic(const TaskOptions&, BuildContext&);

const std::vector<TaskEntry>& task_registry() {
  static const std::vector<TaskEntry> registry = {
      {"modular_arithmetic", "(a op b) mod p on the full table; tokens [a, b, =], answer at the last position",
       make_options<TaskOptions, ModularArithmeticOptions>, build_modular_arithmetic},
  };
  return registry;
}

}  // namespace phenom
