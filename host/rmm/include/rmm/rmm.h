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

#include <stddef.h>
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
	/* Guest operations one REC_ENTER runs before an RMI_EXIT_IRQ, as a
	 * timer interrupt would force on hardware (0: 1 << 20). */
	unsigned guest_ops_per_entry;
	/* RMI 1.0 REC_AUX_COUNT: auxiliary granules REC_CREATE requires
	 * (0..16, default 0; 2.0 realms use none). */
	unsigned rec_aux_count;
	/* Where the RMM 2.0 specification's rtte_state conditions are
	 * stricter than TF-RMM (9a7f8ef rtt_map.c / rtt_unmap.c), follow
	 * TF-RMM instead: RTT_DATA_MAP / RTT_UNPROT_MAP of an entry that
	 * already holds exactly that mapping succeed as no-ops, and
	 * RTT_UNPROT_UNMAP skips unmapped entries. Default (false): the
	 * specification. No host policy ever reaches the difference. */
	bool follow_tfrmm;
};

/* NULL on allocation failure or an invalid config (errno EINVAL). The DRAM
 * must outlive the RMM. */
struct rmm *rmm_create(const struct rmm_config *cfg, struct phys_mem *dram);
void rmm_destroy(struct rmm *rmm);

enum rmi_abi rmm_abi(const struct rmm *rmm);

/* The SMC entry point: one RMI call. */
void rmm_smc(struct rmm *rmm, const struct smc_args *args, struct smc_res *res);
struct smc_conduit rmm_conduit(struct rmm *rmm);

/* Attach the program a REC's realm vCPU executes during REC_ENTER. The REC
 * must exist and not be running. Returns 0, or -1 if rec_pa is not a REC
 * granule, the REC is inside REC_ENTER, or the ops are incomplete. */
int rmm_sim_rec_attach_guest(struct rmm *rmm, uint64_t rec_pa, struct sim_guest guest);

/* Copy the Realm Initial Measurement of the realm whose RD is at rd_pa
 * into out (32 bytes for SHA-256, 64 for SHA-512). Returns its size, or -1
 * if rd_pa is not an RD or out_len is too small. */
int rmm_sim_realm_rim(struct rmm *rmm, uint64_t rd_pa, uint8_t *out, size_t out_len);

/* Check the model's invariants (tests; no command may run concurrently):
 * every granule in one state with a matching GPT PAS; every TABLE entry
 * points to an RTT granule of the next level, reached exactly once; RTT
 * refcounts equal their entries that keep them live (ASSIGNED, TABLE:
 * DEN0137 A5.5.8 RTT liveness); every ASSIGNED entry maps DATA
 * granules, none twice, and every DATA granule is mapped; no unprotected
 * entry maps a non-UNDELEGATED granule; RD refcounts equal their RECs.
 * The unprotected rule is a host's duty, not the RMM's: like TF-RMM, the
 * model lets RTT_MAP_UNPROTECTED map, and GRANULE_DELEGATE delegate, such
 * a granule (the realm then gets an SEA on access); a test driving bad
 * hosts must keep that one rule. Returns 0, or -1 with a description of
 * the first violation in why. */
int rmm_sim_check_invariants(struct rmm *rmm, char *why, size_t len);

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
 * Slots cover the 1.0 and 2.0 command sets together. FID 0x153 is
 * DATA_CREATE in 1.0 and RTT_DATA_MAP_INIT in 2.0: rmi_command_slot()
 * answers the 1.0 slot, rmi_command_slot_abi() the right one. */
int rmi_command_slot(uint64_t fid);
int rmi_command_slot_abi(uint64_t fid, enum rmi_abi abi);
/* Spec name without prefix ("GRANULE_DELEGATE") of a slot, NULL if none. */
const char *rmi_command_name_of_slot(int slot);
/* FID of a spec name without prefix, for the given ABI; 0 if unknown. */
uint64_t rmi_command_fid(const char *name, enum rmi_abi abi);
/* Spec name of a status ("RMI_ERROR_RTT"). */
const char *rmi_status_name(unsigned status);
/* Spec name of an event ("SEA_INJECTED"). */
const char *rmm_event_name(enum rmm_event ev);

#endif
