// SIGINT/SIGTERM/SIGUSR1/SIGHUP ask the training loop to checkpoint and stop (Slurm sends
// SIGUSR1/TERM before a time limit; SIGHUP: the terminal closed). The handler only sets a flag; the
// loop polls it once per step. SIGPIPE is ignored: a closed stdout does not end a run.
#pragma once

namespace phenom {

// First thing in main(), before any thread starts: the stop signals are blocked in every thread
// phenom starts and received by one waiting thread (see signals.cpp for why). Until
// install_stop_handlers() a stop signal ends the process as by default.
void block_stop_signals();
void install_stop_handlers();  // from here on a stop signal sets the flag the training loop polls
bool stop_requested();
int stop_signal();          // the signal that asked, 0 if none
void request_stop(int signal);  // for tests

}  // namespace phenom
