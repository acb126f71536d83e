/*
 * The sim backend's harness, in the shape of KVM selftests' memstress:
 * build a VM (normal, or a realm on the RMM model) with N vCPUs and B bytes
 * per vCPU, start one host thread per vCPU running one pattern, wait, and
 * hand back what happened: every fault record, the RMI/RSI counts of the
 * run phase only (realm creation and teardown excluded), and what the
 * guests saw. One configuration per call, in fresh state every time.
 * With cfg->phases, also the lifecycle phases around the run (populate
 * before activation, teardown after), each its own record.
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

/* Guest RAM above this is backed by a host window of this size aliased
 * across it (kvm_config.ram_window): a realm's host memory stays bounded
 * whatever its size; at or below it, RAM is backed 1:1 as before. */
#define SIM_RAM_WINDOW (1ULL << 30)

/* Above this many fault records per run, faults.csv keeps a uniform
 * sample of this many; counts stay exact and distributions come from
 * histograms (run_result.hist). */
#define SIM_FAULT_SAMPLE (1ULL << 20)

/* Modeled DRAM for a VM with `ram` bytes of guest RAM: the default, or
 * the RAM plus the default's headroom for the model's own pages. */
uint64_t sim_dram_size(uint64_t ram);

/* Bytes of host memory a run's guest RAM occupies (the window when
 * aliased): what a memory preflight should count for it. */
uint64_t sim_guest_ram_host_bytes(uint64_t ram);

/* Bytes of host memory the models keep for a VM with `ram` bytes of guest
 * RAM on `vcpus` vCPUs, besides the guest RAM itself: a realm's granule
 * array (16 bytes per 4 KiB) and, both VMs, the last-level stage-2 tables
 * (4 KiB per 2 MiB), plus the fault records (every one up to
 * SIM_FAULT_SAMPLE, then the sample, each held twice while merging). From
 * the sizes in the code (docs/sim-backend.md), for a memory preflight. */
uint64_t sim_model_bytes(uint64_t ram, unsigned vcpus, bool realm);

int sim_run(const struct run_config *cfg, struct run_result *res);

#endif
