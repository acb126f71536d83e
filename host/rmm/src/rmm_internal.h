/*
 * Internals of the RMM model shared by the command groups.
 *
 * Contract: struct rmm owns the granule chunks, the VMID allocator and the
 * counters. Realm and REC descriptors live in heap objects hung off their
 * RD / REC granules (granule->obj): the host can never write them, unlike
 * their granule pages, so a host bug cannot crash the model. RTTs, in
 * contrast, live in their granule pages as TF-RMM keeps them.
 *
 * Every handler has the signature of rmi_handler_fn and reads its inputs
 * from args->x[0..5] (X1..X6), writing X0..X4 to res.
 */
#ifndef RMM_INTERNAL_H
#define RMM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/rmi.h"
#include "abi/sim_guest.h"
#include "abi/smc.h"
#include "granule.h"
#include "measure.h"
#include "rmm/rmm.h"
#include "s2tt.h"

#define RMM_DEFAULT_GUEST_OPS_PER_ENTRY (1u << 20)
#define RMM_MAX_VMID 0xFFFFu
#define PSCI_SYSTEM_OFF_FID 0x84000008ULL
#define PSCI_CPU_OFF_FID    0x84000002ULL

enum realm_state {
	REALM_NEW,
	REALM_ACTIVE,
	REALM_SYSTEM_OFF,
	REALM_TERMINATED,  /* 2.0: after REALM_TERMINATE (TF-RMM's ZOMBIE) */
};

struct realm {
	uint64_t rd_pa;
	unsigned ipa_bits;
	int start_level;
	unsigned num_root_rtts;
	uint64_t rtt_base;
	unsigned vmid;
	bool vmid_reserved;
	unsigned hash_algo;
	unsigned num_rec_aux;
	unsigned rec_count;           /* RECs created so far (RD lock) */
	struct rmm_rim rim;           /* Realm Initial Measurement (RD lock) */
	_Atomic int state;            /* enum realm_state */
};

static inline uint64_t realm_ipa_size(const struct realm *rd)
{
	return 1ULL << rd->ipa_bits;
}

/* Protected address range: the lower half of the IPA space. */
static inline bool addr_in_par(const struct realm *rd, uint64_t ipa)
{
	return ipa < (1ULL << (rd->ipa_bits - 1));
}

static inline enum realm_state realm_state(const struct realm *rd)
{
	return (enum realm_state)atomic_load_explicit(&rd->state, memory_order_acquire);
}

/* The host's request the REC is waiting on (an exit it must answer). */
enum rec_pending {
	REC_PENDING_NONE,
	REC_PENDING_DATA_ABORT,   /* data abort exit; op not completed */
	REC_PENDING_RIPAS_CHANGE, /* RSI_IPA_STATE_SET exit */
	REC_PENDING_HOST_CALL,
};

struct rec {
	uint64_t rec_pa;
	uint64_t rd_pa;
	struct realm *realm;
	struct granule *g_rd;
	uint64_t mpidr;
	bool runnable;
	uint64_t pc;
	uint64_t gprs[REC_CREATE_NR_GPRS];
	unsigned num_aux;
	uint64_t aux[MAX_REC_AUX_GRANULES];

	struct sim_guest guest;
	bool has_guest;
	bool finished;                /* program ran out: CPU off */

	enum rec_pending pending;
	bool emulatable_abort;        /* last exit was an emulatable data abort */
	bool abort_is_write;
	struct {
		uint64_t base, top, addr; /* addr: how far RTT_SET_RIPAS got */
		unsigned ripas;
		bool change_destroyed;
	} set_ripas;
};

struct rmm {
	struct rmm_config cfg;
	struct phys_mem *dram;
	uint64_t dram_base;
	uint64_t nr_granules;
	size_t nr_chunks;
	_Atomic(struct granule *) *chunks;

	atomic_ullong vmid_bitmap[(RMM_MAX_VMID + 1) / 64];

	/* Instrumentation, not RMM state (TF-RMM keeps no such counters): one
	 * shard per calling thread, so counting never makes vCPUs share a
	 * cache line. A single global array made every SMC of every vCPU
	 * bounce one line, which showed as RMM contention in vCPU scaling. */
	struct rmm_count_shard *shards; /* RMM_COUNT_SHARDS */
};

#define RMM_COUNT_SHARDS 64

struct rmm_count_shard {
	atomic_ullong cmd_count[RMM_MAX_COMMANDS][RMI_STATUS_COUNT];
	atomic_ullong event_count[RMM_EV_COUNT];
} __attribute__((aligned(64)));

/* This thread's shard: threads take shards round-robin at their first
 * count (up to RMM_COUNT_SHARDS threads share none). */
struct rmm_count_shard *rmm_count_shard(struct rmm *rmm);

static inline void rmm_count_event(struct rmm *rmm, enum rmm_event ev)
{
	atomic_fetch_add_explicit(&rmm_count_shard(rmm)->event_count[ev], 1,
				  memory_order_relaxed);
}

static inline uint64_t rmi_status(unsigned status, unsigned index)
{
	return RMI_RETURN(status, index);
}

typedef void rmi_handler_fn(struct rmm *rmm, const struct smc_args *args, struct smc_res *res);

/* version.c */
rmi_handler_fn smc_version, smc_features;
/* granule.c */
rmi_handler_fn smc_granule_delegate, smc_granule_undelegate;
rmi_handler_fn smc_granule_range_delegate, smc_granule_range_undelegate;
/* realm.c */
rmi_handler_fn smc_realm_create, smc_realm_activate, smc_realm_destroy, smc_realm_terminate;
/* rec.c */
rmi_handler_fn smc_rec_create, smc_rec_destroy, smc_rec_aux_count;
/* run.c */
rmi_handler_fn smc_rec_enter;
/* rtt.c */
rmi_handler_fn smc_rtt_create, smc_rtt_destroy, smc_rtt_fold, smc_rtt_read_entry;
rmi_handler_fn smc_rtt_init_ripas, smc_rtt_set_ripas;
rmi_handler_fn smc_rtt_map_unprotected, smc_rtt_unmap_unprotected;
/* data.c */
rmi_handler_fn smc_data_create, smc_data_create_unknown, smc_data_destroy;
rmi_handler_fn smc_rtt_data_map_init;
/* rtt_range.c (RMI 2.0) */
rmi_handler_fn smc_rtt_data_map, smc_rtt_data_unmap;
rmi_handler_fn smc_rtt_unprot_map, smc_rtt_unprot_unmap;

/* version.c: the debug resources the model's "hardware" offers */
unsigned rmm_model_num_bps(void);
unsigned rmm_model_num_wps(void);

/* realm.c helpers */
bool vmid_reserve(struct rmm *rmm, unsigned vmid);
/* Concatenated starting-level RTTs an IPA width needs at start level sl. */
unsigned s2_num_root_rtts(unsigned ipa_bits, int sl);
void vmid_free(struct rmm *rmm, unsigned vmid);

/* Host-shared (NS) memory access: only UNDELEGATED granules. */
void *ns_granule_va(struct rmm *rmm, uint64_t pa);

#endif
