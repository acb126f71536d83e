/*
 * Cost profiles (profiles.h). Every number cites its source; see
 * ../shared/reference/rmm-and-host-notes.md section 6 for the summaries.
 */
#include "harness/profiles.h"

#include <stdlib.h>
#include <string.h>

#include "kvm/rmi_cmds.h"
#include "results/stats.h"
#include "rmm/rmm.h"

#define NOT_MODELED "GPT maintenance per delegated granule (DC CIPAPA, GPT write, TLBI RPALOS; " \
	"no published time), the realm world switch beyond a bare SMC, TLB/cache maintenance"
#define TFA_PERF "TF-A docs/perf: fast SMC round trip (PSCI_VERSION), as summarised in " \
	"rmm-and-host-notes.md section 6"

#define TFRMM_ICOUNT "TF-RMM host build, callgrind Ir of each RMI handler minus the host " \
	"platform's emulation (results/profiles/tfrmm-host-icount.csv: RMM 1.0 tf-rmm-v0.8.0 " \
	"13a82ef5f3bb, RMM 2.0 9a7f8ef46378); REC_ENTER and RTT_SET_RIPAS of 2.0 not measured, " \
	"their 1.0 counts used"
#define TFRMM_NOT_MODELED NOT_MODELED ", zeroing and scrubbing bandwidth (a 4 KiB zeroing is 64 " \
	"dc zva: few instructions, memory-bound time), what a guest run inside REC_ENTER costs, " \
	"the size of a command (a 2 MiB RTT_DATA_MAP is 176969 instructions; charged as 4 KiB)"

/* Per-call RMM instructions: the rmm_ir column of the CSV at the size the
 * fault path uses most (4 KiB, level 3); tests/run/profiles.py checks the
 * two agree. */
static const struct cmd_icount tfrmm_icount[] = {
	{ "1.0", "RMI_GRANULE_DELEGATE", 168 },
	{ "1.0", "RMI_GRANULE_UNDELEGATE", 408 },
	{ "1.0", "RMI_DATA_CREATE_UNKNOWN", 880 },
	{ "1.0", "RMI_DATA_DESTROY", 5804 },
	{ "1.0", "RMI_RTT_CREATE", 1689 },
	{ "1.0", "RMI_RTT_DESTROY", 672 },
	{ "1.0", "RMI_RTT_FOLD", 13581 },
	{ "1.0", "RMI_RTT_MAP_UNPROTECTED", 608 },
	{ "1.0", "RMI_RTT_UNMAP_UNPROTECTED", 5730 },
	{ "1.0", "RMI_RTT_READ_ENTRY", 600 },
	{ "1.0", "RMI_RTT_SET_RIPAS", 768 },
	{ "1.0", "RMI_REC_ENTER", 2281 },
	{ "2.0", "RMI_GRANULE_RANGE_DELEGATE", 243 },
	{ "2.0", "RMI_GRANULE_RANGE_UNDELEGATE", 488 },
	{ "2.0", "RMI_RTT_DATA_MAP", 2841 },
	{ "2.0", "RMI_RTT_DATA_UNMAP", 21321 },
	{ "2.0", "RMI_RTT_UNPROT_MAP", 1666 },
	{ "2.0", "RMI_RTT_UNPROT_UNMAP", 14874 },
	{ "2.0", "RMI_RTT_CREATE", 1898 },
	{ "2.0", "RMI_RTT_DESTROY", 7025 },
	{ "2.0", "RMI_RTT_FOLD", 7148 },
	{ "2.0", "RMI_RTT_READ_ENTRY", 828 },
	{ "2.0", "RMI_RTT_SET_RIPAS", 768 },   /* not measured on 2.0: the 1.0 count */
	{ "2.0", "RMI_REC_ENTER", 2281 },      /* not measured on 2.0: the 1.0 count */
	{ NULL, NULL, 0 },
};

#define TFRMM_QEMU_ICOUNT "aarch64 TF-RMM tf-rmm-v0.9.0-48 a2be2c263a77 and TF-A v2.15.0 " \
	"da738d5eae93 under QEMU 10.0.2 TCG: EL3 + R-EL2 + R-EL1/0 instructions per call, counted " \
	"by rme-bench's QEMU plugin from the SMC at NS-EL2 to the return, minus the 249 EL3 " \
	"instructions of a bare PSCI_VERSION round trip (inside the SMC figure); " \
	"results/profiles/tfrmm-qemu-icount.csv, scripts/qemu/rmi-profile.sh. REC_CREATE is " \
	"its three calls (REC_CREATE, OP_MEM_DONATE, OP_CONTINUE); RTT_SET_RIPAS not measured"
#define TFRMM_QEMU_NOT_MODELED "the time of what the instructions do beyond IPC 1: GPT " \
	"maintenance (a delegation is 128 DC CIPAPA, 1 TLBI RPALOS), TLB invalidations (a " \
	"fold is 513 broadcast TLBIs), zeroing bandwidth (64 DC ZVA per 4 KiB), the exception " \
	"entries of the world switches beyond a bare SMC (counted as instructions only), what " \
	"a guest runs inside REC_ENTER, commands of another size than the measured one"

/* Per-call instructions of the aarch64 RMM and EL3 at the size the fault
 * path uses (4 KiB, level 3; RTT_INIT_RIPAS per 2 MiB; REC_ENTER with a
 * stage-2 abort exit): total_p50 of results/profiles/tfrmm-qemu-icount.csv
 * minus its PSCI_VERSION EL3 count; tests/run/profiles.py checks both. */
static const struct cmd_icount tfrmm_qemu_icount[] = {
	{ "2.0", "RMI_VERSION", 1068 },
	{ "2.0", "RMI_GRANULE_RANGE_DELEGATE", 2193 },
	{ "2.0", "RMI_GRANULE_RANGE_UNDELEGATE", 2799 },
	{ "2.0", "RMI_RTT_DATA_MAP", 3286 },
	{ "2.0", "RMI_RTT_DATA_UNMAP", 2815 },
	{ "2.0", "RMI_RTT_UNPROT_MAP", 2706 },
	{ "2.0", "RMI_RTT_UNPROT_UNMAP", 2753 },
	{ "2.0", "RMI_RTT_CREATE", 3665 },
	{ "2.0", "RMI_RTT_DESTROY", 2495 },
	{ "2.0", "RMI_RTT_FOLD", 16137 },
	{ "2.0", "RMI_RTT_READ_ENTRY", 2613 },
	{ "2.0", "RMI_RTT_INIT_RIPAS", 22560 },
	{ "2.0", "RMI_REC_ENTER", 11167 },
	{ "2.0", "RMI_REALM_CREATE", 233998 },
	{ "2.0", "RMI_REALM_ACTIVATE", 1416 },
	{ "2.0", "RMI_REC_CREATE", 231230 },
	{ NULL, NULL, 0 },
};

static const struct cost_profile profiles[] = {
	{ "none", "no modeled costs: every number is the simulator's own measured work", 0,
	  "-", "everything", NULL, 0, 0, NULL },
	{ "n1-smc-low", "Neoverse N1, bare SMC round trip 0.08 us per RMI call", 80, TFA_PERF,
	  NOT_MODELED, NULL, 0, 0, NULL },
	{ "n1-smc-high", "Neoverse N1, bare SMC round trip 0.28 us per RMI call", 280, TFA_PERF,
	  NOT_MODELED, NULL, 0, 0, NULL },
	{ "a57-smc-low", "Cortex-A57, bare SMC round trip 0.52 us per RMI call", 520, TFA_PERF,
	  NOT_MODELED, NULL, 0, 0, NULL },
	{ "a57-smc-high", "Cortex-A57, bare SMC round trip 0.72 us per RMI call", 720, TFA_PERF,
	  NOT_MODELED, NULL, 0, 0, NULL },
	{ "tfrmm-n1", "TF-RMM's instructions per RMI command at 2.0 GHz, IPC 1, plus the N1 "
	  "SMC round trip 0.08 us", 80, TFA_PERF, TFRMM_NOT_MODELED, tfrmm_icount, 2.0, 1.0,
	  TFRMM_ICOUNT },
	{ "tfrmm-qemu", "aarch64 TF-RMM + TF-A instructions per RMI command (RMM 2.0, counted "
	  "under QEMU) at 2.0 GHz, IPC 1, plus the N1 SMC round trip 0.08 us", 80, TFA_PERF,
	  TFRMM_QEMU_NOT_MODELED, tfrmm_qemu_icount, 2.0, 1.0, TFRMM_QEMU_ICOUNT },
};

const struct cost_profile *cost_profile_at(size_t index)
{
	return index < sizeof(profiles) / sizeof(profiles[0]) ? &profiles[index] : NULL;
}

const struct cost_profile *cost_profile_find(const char *name)
{
	for (size_t i = 0; cost_profile_at(i); i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

bool cost_profile_covers_abi(const struct cost_profile *p, const char *abi)
{
	for (const struct cmd_icount *c = p->per_call; c && c->command; c++)
		if (!strcmp(c->abi, abi))
			return true;
	return false;
}

double cost_profile_icount(const struct cost_profile *p, const char *abi, const char *command)
{
	for (const struct cmd_icount *c = p->per_call; c && c->command; c++)
		if (!strcmp(c->abi, abi) && !strcmp(c->command, command))
			return c->instructions;
	return -1;
}

void cost_profile_weights(const struct cost_profile *p, const char *abi,
			  uint32_t weights[RMI_WEIGHT_FIDS])
{
	enum rmi_abi a = !strcmp(abi, "1.0") ? RMI_ABI_1_0 : RMI_ABI_2_0;
	memset(weights, 0, RMI_WEIGHT_FIDS * sizeof(*weights));
	for (const struct cmd_icount *c = p->per_call; c && c->command; c++) {
		uint64_t fid = strcmp(c->abi, abi) ? 0 : rmi_command_fid(c->command + 4, a);
		if (fid >= RMI_FID(0) && fid - RMI_FID(0) < RMI_WEIGHT_FIDS)
			weights[fid - RMI_FID(0)] = (uint32_t)(c->instructions + 0.5);
	}
}

/* Calls of the run (REC_ENTER aside) of commands the profile has no
 * instruction count for. */
static uint64_t uncosted_calls(const struct cost_profile *p, const char *abi,
			       const struct results_count *counts, size_t n_counts)
{
	uint64_t n = 0;
	for (size_t i = 0; i < n_counts; i++)
		if (!strncmp(counts[i].name, "RMI_", 4) && strcmp(counts[i].name, "RMI_REC_ENTER") &&
		    cost_profile_icount(p, abi, counts[i].name) < 0)
			n += counts[i].count;
	return n;
}

size_t cost_profile_extras(const struct cost_profile *p, const char *abi,
			   const struct fault_record *faults, size_t n,
			   const struct results_count *counts, size_t n_counts,
			   struct results_extra *out, size_t max)
{
	uint64_t *t = malloc((n ? n : 1) * sizeof(*t));
	double smc = 0, rmm = 0, ns_per_instr = p->per_call ? 1.0 / (p->ghz * p->ipc) : 0;
	double enter = p->per_call ? cost_profile_icount(p, abi, "RMI_REC_ENTER") : 0;
	size_t k = 0;

	if (!t || !n || max < 6 || p->smc_ns <= 0) {
		free(t);
		return 0;
	}
	enter = enter > 0 ? enter : 0;
	for (size_t i = 0; i < n; i++) {
		/* The host's calls for this fault, plus the REC_ENTER back; the
		 * RMM's work of exactly those calls (call_weight: the sum of
		 * their instruction counts, cost_profile_weights). */
		double s = ((double)faults[i].rmi_calls + 1) * p->smc_ns;
		double work = ((double)faults[i].call_weight + enter) * ns_per_instr;
		smc += s;
		rmm += work;
		t[i] = (uint64_t)(s + work + 0.5);
	}
	stats_sort_u64(t, n);
	out[k++] = (struct results_extra){ "modeled.smc_ns", p->smc_ns };
	out[k++] = (struct results_extra){ "modeled.smc_ns_per_fault", smc / (double)n };
	if (p->per_call) {
		out[k++] = (struct results_extra){ "modeled.rmm_ns_per_fault", rmm / (double)n };
		out[k++] = (struct results_extra){ "modeled.uncosted_calls",
						   (double)uncosted_calls(p, abi, counts, n_counts) };
	}
	out[k++] = (struct results_extra){ "modeled.fault_p50_ns",
					   (double)stats_percentile_sorted(t, n, STATS_PPM(50)) };
	out[k++] = (struct results_extra){ "modeled.fault_p99_ns",
					   (double)stats_percentile_sorted(t, n, STATS_PPM(99)) };
	free(t);
	return k;
}
