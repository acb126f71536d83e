/*
 * The sim backend's harness, in the shape of KVM selftests' memstress:
 * build a VM (normal, or a realm on the RMM model) with N vCPUs and B bytes
 * per vCPU, start one host thread per vCPU running one pattern, wait, and
 * hand back what happened: every fault record, the RMI/RSI counts of the
 * run phase only (realm creation and teardown excluded), and what the
 * guests saw. One configuration per call, in fresh state every time.
 * Optionally each vCPU thread is pinned and counted with a perf group
 * (opened in the thread, read around the run phase only), and with
 * perf_stages the same group is also read at every stage boundary of
 * every fault (a stage timer mark hook) and the deltas summed per stage
 * in per-vCPU accumulators, merged after the threads are joined.
 *
 * Failure: -1 with a message in result->error; nothing is leaked.
 */
#ifndef BENCH_SIM_HARNESS_H
#define BENCH_SIM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/kvm.h"
#include "rmm/rmm.h"
#include "run/run.h"

int sim_run(const struct run_config *cfg, struct run_result *res);

#endif
