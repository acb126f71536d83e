/*
 * The sim payload runtime: a pattern run as a simulated vCPU's program.
 *
 * Contract: produces struct sim_guest (abi/sim_guest.h) for one vCPU from
 * a pattern, its parameters and the guest's memory layout. Each payload
 * action becomes one sim_gop: an access goes to ram_base + offset, with
 * the unprotected alias bit set when the action is shared; a SET_RIPAS
 * becomes SIM_GOP_IPA_STATE_SET of [ipa, ipa + len), re-issued from
 * next_base while the host reports partial progress (as a real guest's RSI
 * loop does). The program ends with SIM_GOP_CPU_OFF (each vCPU stops on its
 * own; SYSTEM_OFF would power off the whole VM under the others); once the CPU model
 * has completed it or exited with it (the PSCI exit), peek() returns false.
 *
 * It takes the guest-side timestamps with stage_clock_now(): exited()
 * stamps exit_ts, and complete() of an operation that had exited stamps
 * resume_ts. It counts what the guest saw (sim_payload_counters). Guest
 * failures (RSI error or REJECT, a RIPAS change that makes no progress,
 * reports after CPU_OFF) are counted and the first is kept as a
 * message; they never stop the program.
 *
 * One vCPU thread drives one sim_payload; there is no locking. No
 * allocation: the caller owns the struct.
 */
#ifndef PAYLOAD_SIM_RUNTIME_H
#define PAYLOAD_SIM_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/sim_guest.h>
#include <payload/pattern.h>

#define SIM_RAM_ALIGN PATTERN_SZ_2M

struct sim_guest_layout {
	uint64_t ram_base;        /* IPA of RAM offset 0; SIM_RAM_ALIGN aligned */
	uint64_t ram_size;        /* bytes; must hold every vCPU's range */
	uint64_t unprotected_bit; /* realm: the IPA bit of the shared alias
				   * (above all RAM); normal VM: 0 */
	uint64_t premapped;       /* bytes from ram_base the host mapped before
				   * the run (a realm's populated image): a
				   * protected first touch there is expected
				   * not to fault */
};

struct sim_payload_counters {
	uint64_t ops;             /* complete() calls, RSI re-issues included */
	uint64_t accesses;        /* READ/WRITE completed (DONE or SEA) */
	uint64_t first_touches;   /* accesses the pattern expected to fault */
	uint64_t exits;           /* exited() calls */
	uint64_t seas;            /* accesses that ended in an SEA */
	uint64_t rsi_calls;       /* RSI calls completed (each re-issue is one) */
	uint64_t ripas_reissues;  /* IPA_STATE_SET issued again after partial progress */
	uint64_t guest_errors;    /* see the contract above */
	/* Pattern vs model: a harness checks fault expectations with these.
	 * Under `overlap` another vCPU may take the fault: missed ones are
	 * then expected. */
	uint64_t missed_faults;    /* first-touch accesses that did not exit */
	uint64_t unexpected_exits; /* accesses not marked first_touch that exited */
};

/* Opaque: use the functions below. In the header so callers can embed it. */
struct sim_payload {
	struct pattern_iter it;
	struct sim_guest_layout layout;
	struct sim_guest guest;
	struct sim_gop cur;           /* valid when have_cur */
	bool have_cur;
	bool cur_first_touch;
	bool finished;                /* CPU_OFF completed */
	uint32_t cur_exits;           /* exits of the current operation */
	unsigned last_exit_reason;
	uint64_t exit_ts;
	uint64_t resume_ts;
	struct sim_payload_counters n;
	char error[160];
};

/*
 * Validates the layout against the pattern's parameters and starts the
 * program. 0, or -1 with a message in err (bad pattern parameters, RAM
 * base not aligned, RAM too small for vcpus * size, alias bit inside RAM
 * or missing in a realm / present in a normal VM).
 */
int sim_payload_init(struct sim_payload *sp, const struct pattern *pat,
		     const struct pattern_params *params,
		     const struct sim_guest_layout *layout, char *err, size_t errlen);

/* The program, for a CPU model (valid while sp lives). */
struct sim_guest sim_payload_guest(struct sim_payload *sp);

/* stage_clock_now() of the last exited() / the last complete() after an
 * exit; 0 before the first. */
uint64_t sim_payload_exit_ts(const struct sim_payload *sp);
uint64_t sim_payload_resume_ts(const struct sim_payload *sp);
unsigned sim_payload_last_exit_reason(const struct sim_payload *sp);

const struct sim_payload_counters *sim_payload_counters(const struct sim_payload *sp);
bool sim_payload_finished(const struct sim_payload *sp);
/* The first guest error, or "" if none. */
const char *sim_payload_error(const struct sim_payload *sp);

#endif
