/*
 * REC lifecycle: REC_CREATE, REC_DESTROY, REC_AUX_COUNT (RMI 1.0).
 */
#include <stdlib.h>
#include <string.h>

#include "rmm_internal.h"

/* MPIDR fields a REC may use: Aff0[3:0], Aff1, Aff2, Aff3 (TF-RMM). */
#define MPIDR_REC_MASK 0xFF00FFFF0FULL

static bool mpidr_is_valid(uint64_t mpidr)
{
	return (mpidr & ~MPIDR_REC_MASK) == 0;
}

/* RECs are created in MPIDR order: the index packs the affinity fields. */
static uint64_t mpidr_to_rec_index(uint64_t mpidr)
{
	return (mpidr & 0xF) | (((mpidr >> 8) & 0xFF) << 4) | (((mpidr >> 16) & 0xFF) << 12) |
	       (((mpidr >> 32) & 0xFF) << 20);
}

static void unlock_aux(struct rmm *rmm, const uint64_t *aux, unsigned n, enum granule_state to)
{
	for (unsigned i = 0; i < n; i++) {
		struct granule *g = granule_find(rmm, aux[i]);
		granule_unlock_transition(g, to);
	}
}

static bool lock_aux(struct rmm *rmm, const uint64_t *aux, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!granule_find_lock(rmm, aux[i], GRANULE_STATE_DELEGATED)) {
			unlock_aux(rmm, aux, i, GRANULE_STATE_DELEGATED);
			return false;
		}
	}
	return true;
}

void smc_rec_create(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t rd_addr = args->x[0], rec_addr = args->x[1], params_addr = args->x[2];
	const struct rmi_rec_params *ns = ns_granule_va(rmm, params_addr);
	struct rmi_rec_params p;
	struct granule *g_rec, *g_rd;
	struct realm *rd;
	struct rec *rec;

	res->x[0] = RMI_ERROR_INPUT;
	if (!ns)
		return;
	memcpy(&p, ns, sizeof(p));
	if (p.num_aux > MAX_REC_AUX_GRANULES)
		return;
	if (!granule_find_lock_two(rmm, rec_addr, GRANULE_STATE_DELEGATED, &g_rec,
				   rd_addr, GRANULE_STATE_RD, &g_rd))
		return;
	rd = g_rd->obj;
	if (realm_state(rd) != REALM_NEW) {
		res->x[0] = RMI_ERROR_REALM;
		goto out_unlock;
	}
	if (!mpidr_is_valid(p.mpidr) || mpidr_to_rec_index(p.mpidr) != rd->rec_count)
		goto out_unlock;
	if (p.num_aux != rd->num_rec_aux || !lock_aux(rmm, p.aux, (unsigned)p.num_aux))
		goto out_unlock;
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		unlock_aux(rmm, p.aux, (unsigned)p.num_aux, GRANULE_STATE_DELEGATED);
		goto out_unlock;
	}
	rec->rec_pa = rec_addr;
	rec->rd_pa = rd_addr;
	rec->realm = rd;
	rec->g_rd = g_rd;
	rec->mpidr = p.mpidr;
	rec->runnable = p.flags & REC_PARAMS_FLAG_RUNNABLE;
	rec->pc = p.pc;
	memcpy(rec->gprs, p.gprs, sizeof(rec->gprs));
	rec->num_aux = (unsigned)p.num_aux;
	memcpy(rec->aux, p.aux, sizeof(rec->aux));
	unlock_aux(rmm, p.aux, (unsigned)p.num_aux, GRANULE_STATE_REC_AUX);

	rd->rec_count++;
	granule_get(g_rd);
	g_rec->obj = rec;
	granule_set_state(g_rec, GRANULE_STATE_REC);
	res->x[0] = RMI_SUCCESS;
out_unlock:
	granule_unlock(g_rec);
	granule_unlock(g_rd);
}

void smc_rec_destroy(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	struct granule *g_rec = granule_find_lock(rmm, args->x[0], GRANULE_STATE_REC);
	struct rec *rec;

	if (!g_rec) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	if (granule_refcount(g_rec) != 0) {   /* running on another CPU */
		granule_unlock(g_rec);
		res->x[0] = RMI_ERROR_REC;
		return;
	}
	rec = g_rec->obj;
	for (unsigned i = 0; i < rec->num_aux; i++) {
		struct granule *g = granule_find(rmm, rec->aux[i]);

		granule_lock(g);
		granule_memzero(rmm, rec->aux[i]);
		granule_unlock_transition(g, GRANULE_STATE_DELEGATED);
	}
	granule_put(rec->g_rd);
	g_rec->obj = NULL;
	free(rec);
	granule_memzero(rmm, args->x[0]);
	granule_unlock_transition(g_rec, GRANULE_STATE_DELEGATED);
	res->x[0] = RMI_SUCCESS;
}

void smc_rec_aux_count(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	struct granule *g_rd = granule_find_lock(rmm, args->x[0], GRANULE_STATE_RD);

	if (!g_rd) {
		res->x[0] = RMI_ERROR_INPUT;
		return;
	}
	res->x[0] = RMI_SUCCESS;
	res->x[1] = ((struct realm *)g_rd->obj)->num_rec_aux;
	granule_unlock(g_rd);
}
