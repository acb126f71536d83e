/*
 * The SMC entry point: command table, dispatch by ABI, counters, and the
 * name helpers of rmm.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "phys/phys.h"
#include "rmm_internal.h"

#define ABI_1_0 (1u << RMI_ABI_1_0)
#define ABI_2_0 (1u << RMI_ABI_2_0)
#define ABI_ALL (ABI_1_0 | ABI_2_0)

static void smc_op_continue(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	(void)rmm;
	(void)args;
	/* The model never leaves an operation INCOMPLETE: no handle is valid. */
	res->x[0] = RMI_ERROR_INPUT;
}

struct rmi_command {
	const char *name;
	uint64_t fid;
	unsigned abis;
	rmi_handler_fn *handler;   /* NULL: in the spec, not in the model */
};

/* The slot of a command is its index here: never reorder, only append. */
static const struct rmi_command commands[] = {
	{ "VERSION",                  RMI_VERSION,                  ABI_ALL, smc_version },
	{ "GRANULE_DELEGATE",         RMI_GRANULE_DELEGATE,         ABI_1_0, smc_granule_delegate },
	{ "GRANULE_UNDELEGATE",       RMI_GRANULE_UNDELEGATE,       ABI_1_0, smc_granule_undelegate },
	{ "DATA_CREATE",              RMI_DATA_CREATE,              ABI_1_0, smc_data_create },
	{ "DATA_CREATE_UNKNOWN",      RMI_DATA_CREATE_UNKNOWN,      ABI_1_0, smc_data_create_unknown },
	{ "DATA_DESTROY",             RMI_DATA_DESTROY,             ABI_1_0, smc_data_destroy },
	{ "REALM_ACTIVATE",           RMI_REALM_ACTIVATE,           ABI_ALL, smc_realm_activate },
	{ "REALM_CREATE",             RMI_REALM_CREATE,             ABI_ALL, smc_realm_create },
	{ "REALM_DESTROY",            RMI_REALM_DESTROY,            ABI_ALL, smc_realm_destroy },
	{ "REC_CREATE",               RMI_REC_CREATE,               ABI_ALL, smc_rec_create },
	{ "REC_DESTROY",              RMI_REC_DESTROY,              ABI_ALL, smc_rec_destroy },
	{ "REC_ENTER",                RMI_REC_ENTER,                ABI_ALL, smc_rec_enter },
	{ "RTT_CREATE",               RMI_RTT_CREATE,               ABI_ALL, smc_rtt_create },
	{ "RTT_DESTROY",              RMI_RTT_DESTROY,              ABI_ALL, smc_rtt_destroy },
	{ "RTT_MAP_UNPROTECTED",      RMI_RTT_MAP_UNPROTECTED,      ABI_1_0, smc_rtt_map_unprotected },
	{ "RTT_READ_ENTRY",           RMI_RTT_READ_ENTRY,           ABI_ALL, smc_rtt_read_entry },
	{ "RTT_UNMAP_UNPROTECTED",    RMI_RTT_UNMAP_UNPROTECTED,    ABI_1_0, smc_rtt_unmap_unprotected },
	{ "PSCI_COMPLETE",            RMI_PSCI_COMPLETE,            ABI_ALL, NULL },
	{ "FEATURES",                 RMI_FEATURES,                 ABI_ALL, smc_features },
	{ "RTT_FOLD",                 RMI_RTT_FOLD,                 ABI_ALL, smc_rtt_fold },
	{ "REC_AUX_COUNT",            RMI_REC_AUX_COUNT,            ABI_1_0, smc_rec_aux_count },
	{ "RTT_INIT_RIPAS",           RMI_RTT_INIT_RIPAS,           ABI_ALL, smc_rtt_init_ripas },
	{ "RTT_SET_RIPAS",            RMI_RTT_SET_RIPAS,            ABI_ALL, smc_rtt_set_ripas },
	{ "RTT_DATA_MAP_INIT",        RMI_RTT_DATA_MAP_INIT,        ABI_2_0, smc_rtt_data_map_init },
	{ "GRANULE_RANGE_DELEGATE",   RMI_GRANULE_RANGE_DELEGATE,   ABI_2_0, smc_granule_range_delegate },
	{ "GRANULE_RANGE_UNDELEGATE", RMI_GRANULE_RANGE_UNDELEGATE, ABI_2_0, smc_granule_range_undelegate },
	{ "RTT_DATA_MAP",             RMI_RTT_DATA_MAP,             ABI_2_0, smc_rtt_data_map },
	{ "RTT_DATA_UNMAP",           RMI_RTT_DATA_UNMAP,           ABI_2_0, smc_rtt_data_unmap },
	{ "RTT_UNPROT_MAP",           RMI_RTT_UNPROT_MAP,           ABI_2_0, smc_rtt_unprot_map },
	{ "RTT_UNPROT_UNMAP",         RMI_RTT_UNPROT_UNMAP,         ABI_2_0, smc_rtt_unprot_unmap },
	{ "OP_CONTINUE",              RMI_OP_CONTINUE,              ABI_2_0, smc_op_continue },
	{ "REALM_TERMINATE",          RMI_REALM_TERMINATE,          ABI_2_0, smc_realm_terminate },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))
_Static_assert(NR_COMMANDS <= RMM_MAX_COMMANDS, "rmm_counts.cmd too small");

int rmi_command_slot_abi(uint64_t fid, enum rmi_abi abi)
{
	for (unsigned i = 0; i < NR_COMMANDS; i++)
		if (commands[i].fid == fid && (commands[i].abis & (1u << abi)))
			return (int)i;
	return -1;
}

int rmi_command_slot(uint64_t fid)
{
	for (unsigned i = 0; i < NR_COMMANDS; i++)
		if (commands[i].fid == fid)
			return (int)i;
	return -1;
}

const char *rmi_command_name_of_slot(int slot)
{
	return slot >= 0 && (unsigned)slot < NR_COMMANDS ? commands[slot].name : NULL;
}

uint64_t rmi_command_fid(const char *name, enum rmi_abi abi)
{
	for (unsigned i = 0; i < NR_COMMANDS && name; i++)
		if (!strcmp(commands[i].name, name) && (commands[i].abis & (1u << abi)))
			return commands[i].fid;
	return 0;
}

const char *rmi_status_name(unsigned status)
{
	static const char *const names[RMI_STATUS_COUNT] = {
		"RMI_SUCCESS", "RMI_ERROR_INPUT", "RMI_ERROR_REALM", "RMI_ERROR_REC",
		"RMI_ERROR_RTT", "RMI_ERROR_NOT_SUPPORTED", "RMI_ERROR_DEVICE",
		"RMI_ERROR_RTT_AUX", "RMI_ERROR_PSMMU_ST", "RMI_ERROR_DPT", "RMI_BUSY",
		"RMI_ERROR_GLOBAL", "RMI_ERROR_TRACKING", "RMI_INCOMPLETE", "RMI_BLOCKED",
		"RMI_ERROR_GPT", "RMI_ERROR_GRANULE",
	};
	return status < RMI_STATUS_COUNT ? names[status] : "RMI_UNKNOWN_STATUS";
}

const char *rmm_event_name(enum rmm_event ev)
{
	static const char *const names[RMM_EV_COUNT] = {
		[RMM_EV_SEA_INJECTED] = "SEA_INJECTED",
		[RMM_EV_GUEST_ACCESS] = "GUEST_ACCESS",
		[RMM_EV_RSI_IPA_STATE_SET] = "RSI_IPA_STATE_SET",
	};
	return (unsigned)ev < RMM_EV_COUNT ? names[ev] : NULL;
}

void rmm_smc(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	int slot = rmi_command_slot_abi(args->fid, rmm->cfg.abi);

	memset(res, 0, sizeof(*res));
	if (slot < 0 || !commands[slot].handler) {
		res->x[0] = SMC_UNKNOWN;
		return;
	}
	commands[slot].handler(rmm, args, res);

	unsigned status = RMI_RETURN_STATUS(res->x[0]);
	if (status < RMI_STATUS_COUNT)
		atomic_fetch_add_explicit(&rmm_count_shard(rmm)->cmd_count[slot][status], 1,
					  memory_order_relaxed);
}

struct rmm_count_shard *rmm_count_shard(struct rmm *rmm)
{
	static atomic_uint next_shard;
	static _Thread_local unsigned shard = RMM_COUNT_SHARDS;

	if (shard == RMM_COUNT_SHARDS)
		shard = atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) %
			RMM_COUNT_SHARDS;
	return &rmm->shards[shard];
}

static void conduit_call(void *ctx, const struct smc_args *args, struct smc_res *res)
{
	rmm_smc(ctx, args, res);
}

struct smc_conduit rmm_conduit(struct rmm *rmm)
{
	return (struct smc_conduit){ .call = conduit_call, .ctx = rmm, .name = "sim-rmm" };
}

enum rmi_abi rmm_abi(const struct rmm *rmm)
{
	return rmm->cfg.abi;
}

struct rmm *rmm_create(const struct rmm_config *cfg, struct phys_mem *dram)
{
	struct rmm *rmm;

	if (!cfg || !dram || (cfg->abi != RMI_ABI_1_0 && cfg->abi != RMI_ABI_2_0) ||
	    (cfg->max_s2sz && (cfg->max_s2sz < S2TT_MIN_IPA_BITS || cfg->max_s2sz > S2TT_MAX_IPA_BITS)) ||
	    cfg->rec_aux_count > MAX_REC_AUX_GRANULES) {
		errno = EINVAL;
		return NULL;
	}
	rmm = calloc(1, sizeof(*rmm));
	if (!rmm)
		return NULL;
	rmm->cfg = *cfg;
	if (!rmm->cfg.max_s2sz)
		rmm->cfg.max_s2sz = S2TT_MAX_IPA_BITS;
	if (!rmm->cfg.guest_ops_per_entry)
		rmm->cfg.guest_ops_per_entry = RMM_DEFAULT_GUEST_OPS_PER_ENTRY;
	rmm->dram = dram;
	rmm->dram_base = phys_base(dram);
	rmm->nr_granules = phys_size(dram) >> GRANULE_SHIFT;
	rmm->nr_chunks = (size_t)((rmm->nr_granules + GRANULES_PER_CHUNK - 1) / GRANULES_PER_CHUNK);
	rmm->chunks = calloc(rmm->nr_chunks ? rmm->nr_chunks : 1, sizeof(*rmm->chunks));
	rmm->shards = aligned_alloc(64, RMM_COUNT_SHARDS * sizeof(*rmm->shards));
	if (rmm->shards)
		memset(rmm->shards, 0, RMM_COUNT_SHARDS * sizeof(*rmm->shards));
	if (!rmm->chunks || !rmm->shards) {
		free(rmm->chunks);
		free(rmm->shards);
		free(rmm);
		return NULL;
	}
	return rmm;
}

void rmm_destroy(struct rmm *rmm)
{
	if (!rmm)
		return;
	for (size_t i = 0; i < rmm->nr_chunks; i++) {
		struct granule *c = atomic_load_explicit(&rmm->chunks[i], memory_order_acquire);

		for (unsigned j = 0; c && j < GRANULES_PER_CHUNK; j++)
			free(c[j].obj);   /* realm and REC descriptors left alive */
		free(c);
	}
	free(rmm->chunks);
	free(rmm->shards);
	free(rmm);
}

void rmm_counts_read(const struct rmm *rmm, struct rmm_counts *out)
{
	struct rmm *m = (struct rmm *)rmm;   /* atomic loads need a non-const object */

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < RMM_COUNT_SHARDS; k++) {
		struct rmm_count_shard *sh = &m->shards[k];
		for (unsigned i = 0; i < NR_COMMANDS; i++)
			for (unsigned s = 0; s < RMI_STATUS_COUNT; s++)
				out->cmd[i][s] += atomic_load_explicit(&sh->cmd_count[i][s],
								       memory_order_relaxed);
		for (unsigned e = 0; e < RMM_EV_COUNT; e++)
			out->event[e] += atomic_load_explicit(&sh->event_count[e],
							      memory_order_relaxed);
	}
}

void rmm_counts_reset(struct rmm *rmm)
{
	for (unsigned k = 0; k < RMM_COUNT_SHARDS; k++) {
		struct rmm_count_shard *sh = &rmm->shards[k];
		for (unsigned i = 0; i < NR_COMMANDS; i++)
			for (unsigned s = 0; s < RMI_STATUS_COUNT; s++)
				atomic_store_explicit(&sh->cmd_count[i][s], 0,
						      memory_order_relaxed);
		for (unsigned e = 0; e < RMM_EV_COUNT; e++)
			atomic_store_explicit(&sh->event_count[e], 0, memory_order_relaxed);
	}
}
