/*
 * The RMM model: an executable Realm Management Monitor for the simulator.
 *
 * Contract: owns the granule array and GPT model of one modeled DRAM
 * (struct phys_mem), every realm, REC and RTT created through it, and the
 * command counters. The only way in is an SMC: rmm_smc() (or the conduit
 * returned by rmm_conduit()) takes a function ID and X1..X6 and returns
 * X0..X4 exactly as the RMM specification says for the selected ABI; a
 * command of the other ABI returns SMC_UNKNOWN (0xFFFFFFFF... = -1), as a
 * real RMM does for an unimplemented FID. Knows nothing of KVM or patterns.
 *
 * Simulator extensions (not RMI): rmm_sim_rec_attach_guest() gives a REC
 * the program its realm vCPU runs inside REC_ENTER (abi/sim_guest.h);
 * counters are read with rmm_counts_read().
 *
 * Thread safety: rmm_smc may be called from many host threads at once;
 * granules are locked individually as TF-RMM does.
 */
#ifndef RMM_RMM_H
#define RMM_RMM_H

#include <stdint.h>

#include "abi/rmi.h"
#include "abi/sim_guest.h"
#include "abi/smc.h"

struct phys_mem;
struct rmm;

#define SMC_UNKNOWN UINT64_MAX

struct rmm_config {
	enum rmi_abi abi;
	unsigned max_s2sz;      /* largest IPA width accepted (default 48) */
};

/* NULL on allocation failure. The DRAM must outlive the RMM. */
struct rmm *rmm_create(const struct rmm_config *cfg, struct phys_mem *dram);
void rmm_destroy(struct rmm *rmm);

enum rmi_abi rmm_abi(const struct rmm *rmm);

/* The SMC entry point: one RMI call. */
void rmm_smc(struct rmm *rmm, const struct smc_args *args, struct smc_res *res);
struct smc_conduit rmm_conduit(struct rmm *rmm);

/* Attach the program a REC's realm vCPU executes during REC_ENTER. The REC
 * must exist. Returns 0, or -1 if rec_pa is not a REC granule. */
int rmm_sim_rec_attach_guest(struct rmm *rmm, uint64_t rec_pa, struct sim_guest guest);

/* ---- counters ---- */

/* Commands and realm-side events the model counts. */
enum rmm_event {
	RMM_EV_SEA_INJECTED,    /* guest touched a protected EMPTY IPA */
	RMM_EV_GUEST_ACCESS,    /* guest accesses completed without exit */
	RMM_EV_RSI_IPA_STATE_SET,
	RMM_EV_COUNT
};

#define RMM_MAX_COMMANDS 48

struct rmm_counts {
	/* by command slot (rmi_command_slot) and status (RMI_STATUS_COUNT) */
	uint64_t cmd[RMM_MAX_COMMANDS][RMI_STATUS_COUNT];
	uint64_t event[RMM_EV_COUNT];
};

void rmm_counts_read(const struct rmm *rmm, struct rmm_counts *out);
void rmm_counts_reset(struct rmm *rmm);

/* Stable slot of a FID in rmm_counts.cmd, or -1 for an unknown FID.
 * Slots cover the 1.0 and 2.0 command sets together. */
int rmi_command_slot(uint64_t fid);
/* Spec name without prefix ("GRANULE_DELEGATE") of a slot, NULL if none. */
const char *rmi_command_name_of_slot(int slot);
/* FID of a spec name without prefix, for the given ABI; 0 if unknown. */
uint64_t rmi_command_fid(const char *name, enum rmi_abi abi);
/* Spec name of a status ("RMI_ERROR_RTT"). */
const char *rmi_status_name(unsigned status);
/* Spec name of an event ("SEA_INJECTED"). */
const char *rmm_event_name(enum rmm_event ev);

#endif
