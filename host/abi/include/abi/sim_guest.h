/*
 * The simulated vCPU's program: what "the guest" does next, in IPAs.
 *
 * Contract: the simulator's CPU models pull guest operations through this
 * interface and report back how each ended. Two CPU models consume it:
 * the realm side of RMI_REC_ENTER in the RMM model (host/rmm), and the
 * normal-VM stage-2 "hardware" of host/kvm. One producer implements it:
 * the sim payload runtime (guest-payloads/sim), which turns pattern
 * actions into these operations. The CPU model calls peek() for the
 * current operation, executes it, and then either calls complete() (the
 * access or RSI call finished in the guest) or exited() (it needs the host:
 * the CPU model returns to the host with an exit and will peek() the same
 * operation again on the next entry).
 *
 * The producer also takes the guest-side timestamps that bound each fault:
 * exited() stamps when the guest left, complete() after an exit stamps
 * when it was back; the host reads them from the producer to time the
 * rec_exit and rec_enter stages (a real guest does this with CNTVCT).
 */
#ifndef ABI_SIM_GUEST_H
#define ABI_SIM_GUEST_H

#include <stdbool.h>
#include <stdint.h>

enum sim_gop_kind {
	SIM_GOP_READ,          /* load from ipa */
	SIM_GOP_WRITE,         /* store to ipa */
	SIM_GOP_IPA_STATE_SET, /* RSI_IPA_STATE_SET [ipa, top) -> ripas */
	SIM_GOP_HOST_CALL,     /* RSI_HOST_CALL (a voluntary exit, no memory) */
	SIM_GOP_SYSTEM_OFF,    /* PSCI SYSTEM_OFF: the whole VM powers off */
	SIM_GOP_CPU_OFF,       /* PSCI CPU_OFF: this vCPU's program is finished;
				* the VM and its other vCPUs go on */
};

struct sim_gop {
	enum sim_gop_kind kind;
	uint64_t ipa;          /* access address, or base of the RIPAS range */
	uint64_t top;          /* IPA_STATE_SET: end of the range (exclusive) */
	uint8_t ripas;         /* IPA_STATE_SET: RSI_EMPTY or RSI_RAM */
	uint8_t flags;         /* IPA_STATE_SET: RSI_CHANGE_DESTROYED */
	uint64_t value;        /* WRITE: value stored */
};

enum sim_gop_outcome {
	SIM_GOP_DONE,          /* access or call completed normally */
	SIM_GOP_SEA,           /* synchronous external abort taken by the guest
				* (protected IPA with RIPAS EMPTY, or host-injected) */
	SIM_GOP_RSI_ERROR,     /* RSI returned an error status */
};

struct sim_gop_result {
	enum sim_gop_outcome outcome;
	uint64_t rsi_status;   /* IPA_STATE_SET: RSI_SUCCESS / RSI_ERROR_* */
	uint64_t next_base;    /* IPA_STATE_SET: how far the change got; the
				* producer issues the rest again if < top */
	uint64_t response;     /* IPA_STATE_SET: RSI_ACCEPT / RSI_REJECT */
	uint64_t read_value;   /* READ: the value loaded */
};

struct sim_guest_ops {
	/* Current operation. Returns false when the program has no more
	 * operations (treat as SYSTEM_OFF). */
	bool (*peek)(void *ctx, struct sim_gop *op);
	/* The current operation finished in the guest; advance. */
	void (*complete)(void *ctx, const struct sim_gop_result *res);
	/* The current operation caused an exit to the host (reason is the
	 * RMI_EXIT_* of the realm, or the same values for a normal VM). */
	void (*exited)(void *ctx, unsigned exit_reason);
};

struct sim_guest {
	const struct sim_guest_ops *ops;
	void *ctx;
};

#endif
