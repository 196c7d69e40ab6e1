// SIGINT/SIGTERM/SIGUSR1 ask the training loop to checkpoint and stop (Slurm sends SIGUSR1/TERM
// before a time limit). The handler only sets a flag; the loop polls it once per step.
#pragma once

namespace phenom {

void install_stop_handlers();
bool stop_requested();
int stop_signal();          // the signal that asked, 0 if none
void request_stop(int signal);  // for tests

}  // namespace phenom
