/*
 * Typed RMI calls of the host, one inline per command, in the shape of the
 * Linux CCA host series' rmi_cmds.h. Each packs the spec's input registers,
 * makes one SMC through the conduit, unpacks the output registers and
 * returns X0 (status | index << 8).
 *
 * Contract: these are the only functions in host/kvm that issue SMCs, so
 * `struct rmi_host` is the single place where host-side calls are counted
 * (per vCPU: calls made for the fault being handled). Knows nothing of the
 * RMM's internals; a real SMC backend satisfies the same conduit.
 */
#ifndef KVM_RMI_CMDS_H
#define KVM_RMI_CMDS_H

#include <stdint.h>

#include "abi/rmi.h"
#include "abi/smc.h"

/* Weights per RMI function ID, [fid - RMI_FID(0)], RMI_WEIGHT_FIDS entries. */
#define RMI_WEIGHT_FIDS 256

struct rmi_host {
	struct smc_conduit conduit;
	uint32_t calls;         /* SMCs since the counter was last cleared */
	const uint32_t *weights; /* per-command weight (struct kvm_config), or NULL */
	uint64_t weight;        /* sum of the weights of the calls made */
};

static inline uint64_t rmi_smc(struct rmi_host *h, uint64_t fid, uint64_t a1,
			       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
			       struct smc_res *res)
{
	struct smc_args args = { .fid = fid, .x = { a1, a2, a3, a4, a5, 0 } };
	h->calls++;
	if (h->weights && fid - RMI_FID(0) < RMI_WEIGHT_FIDS)
		h->weight += h->weights[fid - RMI_FID(0)];
	smc_call(&h->conduit, &args, res);
	return res->x[0];
}

#define RMI_CALL(h, fid, a1, a2, a3, a4, a5)                                  \
	({ struct smc_res r_; rmi_smc((h), (fid), (a1), (a2), (a3), (a4), (a5), &r_); })

/* ---- RMI 1.0 ---- */

static inline uint64_t rmi_version(struct rmi_host *h, uint64_t req, uint64_t *lower,
				   uint64_t *higher)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_VERSION, req, 0, 0, 0, 0, &r);
	*lower = r.x[1];
	*higher = r.x[2];
	return ret;
}

static inline uint64_t rmi_features(struct rmi_host *h, uint64_t index, uint64_t *value)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_FEATURES, index, 0, 0, 0, 0, &r);
	*value = r.x[1];
	return ret;
}

static inline uint64_t rmi_granule_delegate(struct rmi_host *h, uint64_t pa)
{
	return RMI_CALL(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0);
}

static inline uint64_t rmi_granule_undelegate(struct rmi_host *h, uint64_t pa)
{
	return RMI_CALL(h, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0);
}

static inline uint64_t rmi_realm_create(struct rmi_host *h, uint64_t rd, uint64_t params)
{
	return RMI_CALL(h, RMI_REALM_CREATE, rd, params, 0, 0, 0);
}

static inline uint64_t rmi_realm_activate(struct rmi_host *h, uint64_t rd)
{
	return RMI_CALL(h, RMI_REALM_ACTIVATE, rd, 0, 0, 0, 0);
}

static inline uint64_t rmi_realm_destroy(struct rmi_host *h, uint64_t rd)
{
	return RMI_CALL(h, RMI_REALM_DESTROY, rd, 0, 0, 0, 0);
}

/* RMI 2.0: before REALM_DESTROY (the 2026 series' kvm_destroy_realm). */
static inline uint64_t rmi_realm_terminate(struct rmi_host *h, uint64_t rd)
{
	return RMI_CALL(h, RMI_REALM_TERMINATE, rd, 0, 0, 0, 0);
}

static inline uint64_t rmi_rec_aux_count(struct rmi_host *h, uint64_t rd, uint64_t *count)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_REC_AUX_COUNT, rd, 0, 0, 0, 0, &r);
	*count = r.x[1];
	return ret;
}

static inline uint64_t rmi_rec_create(struct rmi_host *h, uint64_t rd, uint64_t rec,
				      uint64_t params)
{
	return RMI_CALL(h, RMI_REC_CREATE, rd, rec, params, 0, 0);
}

static inline uint64_t rmi_rec_destroy(struct rmi_host *h, uint64_t rec)
{
	return RMI_CALL(h, RMI_REC_DESTROY, rec, 0, 0, 0, 0);
}

static inline uint64_t rmi_rec_enter(struct rmi_host *h, uint64_t rec, uint64_t run)
{
	return RMI_CALL(h, RMI_REC_ENTER, rec, run, 0, 0, 0);
}

static inline uint64_t rmi_rtt_create(struct rmi_host *h, uint64_t rd, uint64_t rtt,
				      uint64_t ipa, int level)
{
	return RMI_CALL(h, RMI_RTT_CREATE, rd, rtt, ipa, (uint64_t)level, 0);
}

static inline uint64_t rmi_rtt_destroy(struct rmi_host *h, uint64_t rd, uint64_t ipa,
				       int level, uint64_t *rtt, uint64_t *top)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_DESTROY, rd, ipa, (uint64_t)level, 0, 0, &r);
	*rtt = r.x[1];
	*top = r.x[2];
	return ret;
}

static inline uint64_t rmi_rtt_fold(struct rmi_host *h, uint64_t rd, uint64_t ipa,
				    int level, uint64_t *rtt)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_FOLD, rd, ipa, (uint64_t)level, 0, 0, &r);
	*rtt = r.x[1];
	return ret;
}

struct rtt_entry {
	int walk_level;
	uint64_t state;
	uint64_t desc;
	uint64_t ripas;
};

static inline uint64_t rmi_rtt_read_entry(struct rmi_host *h, uint64_t rd, uint64_t ipa,
					  int level, struct rtt_entry *e)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_READ_ENTRY, rd, ipa, (uint64_t)level, 0, 0, &r);
	e->walk_level = (int)r.x[1];
	e->state = r.x[2];
	e->desc = r.x[3];
	e->ripas = r.x[4];
	return ret;
}

static inline uint64_t rmi_rtt_init_ripas(struct rmi_host *h, uint64_t rd, uint64_t base,
					  uint64_t top, uint64_t *out_top)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_INIT_RIPAS, rd, base, top, 0, 0, &r);
	*out_top = r.x[1];
	return ret;
}

static inline uint64_t rmi_rtt_set_ripas(struct rmi_host *h, uint64_t rd, uint64_t rec,
					 uint64_t base, uint64_t top, uint64_t *out_top)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_SET_RIPAS, rd, rec, base, top, 0, &r);
	*out_top = r.x[1];
	return ret;
}

static inline uint64_t rmi_data_create_unknown(struct rmi_host *h, uint64_t rd,
					       uint64_t data, uint64_t ipa)
{
	return RMI_CALL(h, RMI_DATA_CREATE_UNKNOWN, rd, data, ipa, 0, 0);
}

static inline uint64_t rmi_data_destroy(struct rmi_host *h, uint64_t rd, uint64_t ipa,
					uint64_t *data, uint64_t *top)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_DATA_DESTROY, rd, ipa, 0, 0, 0, &r);
	*data = r.x[1];
	*top = r.x[2];
	return ret;
}

static inline uint64_t rmi_rtt_map_unprotected(struct rmi_host *h, uint64_t rd,
					       uint64_t ipa, int level, uint64_t desc)
{
	return RMI_CALL(h, RMI_RTT_MAP_UNPROTECTED, rd, ipa, (uint64_t)level, desc, 0);
}

static inline uint64_t rmi_rtt_unmap_unprotected(struct rmi_host *h, uint64_t rd,
						 uint64_t ipa, int level, uint64_t *top)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_UNMAP_UNPROTECTED, rd, ipa, (uint64_t)level, 0, 0, &r);
	*top = r.x[1];
	return ret;
}

/* Populate: copy the NS page at src into the delegated granule data,
 * mapped at ipa; flags RMI_MEASURE_CONTENT (1) also hashes it into the
 * RIM. RMI 1.0 DATA_CREATE; RMI 2.0 RTT_DATA_MAP_INIT (same FID, same
 * registers). */
static inline uint64_t rmi_data_create(struct rmi_host *h, uint64_t rd, uint64_t data,
				       uint64_t ipa, uint64_t src, uint64_t flags)
{
	return RMI_CALL(h, RMI_DATA_CREATE, rd, data, ipa, src, flags);
}

static inline uint64_t rmi_rtt_data_map_init(struct rmi_host *h, uint64_t rd, uint64_t data,
					     uint64_t ipa, uint64_t src, uint64_t flags)
{
	return RMI_CALL(h, RMI_RTT_DATA_MAP_INIT, rd, data, ipa, src, flags);
}

/* ---- RMI 2.0 range commands: ret1 says how far the command got ---- */

static inline uint64_t rmi_granule_range_delegate(struct rmi_host *h, uint64_t base,
						  uint64_t top, uint64_t *next)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_GRANULE_RANGE_DELEGATE, base, top, 0, 0, 0, &r);
	*next = r.x[1];
	return ret;
}

static inline uint64_t rmi_granule_range_undelegate(struct rmi_host *h, uint64_t base,
						    uint64_t top, uint64_t *next)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_GRANULE_RANGE_UNDELEGATE, base, top, 0, 0, 0, &r);
	*next = r.x[1];
	return ret;
}

static inline uint64_t rmi_rtt_data_map(struct rmi_host *h, uint64_t rd, uint64_t base,
					uint64_t top, uint64_t flags, uint64_t oaddr,
					uint64_t *next)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_DATA_MAP, rd, base, top, flags, oaddr, &r);
	*next = r.x[1];
	return ret;
}

static inline uint64_t rmi_rtt_data_unmap(struct rmi_host *h, uint64_t rd, uint64_t base,
					  uint64_t top, uint64_t flags, uint64_t oaddr,
					  uint64_t *next, uint64_t *out_range)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_DATA_UNMAP, rd, base, top, flags, oaddr, &r);
	*next = r.x[1];
	*out_range = r.x[2];
	return ret;
}

static inline uint64_t rmi_rtt_unprot_map(struct rmi_host *h, uint64_t rd, uint64_t base,
					  uint64_t top, uint64_t flags, uint64_t oaddr,
					  uint64_t *next)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_UNPROT_MAP, rd, base, top, flags, oaddr, &r);
	*next = r.x[1];
	return ret;
}

static inline uint64_t rmi_rtt_unprot_unmap(struct rmi_host *h, uint64_t rd, uint64_t base,
					    uint64_t top, uint64_t *next)
{
	struct smc_res r;
	uint64_t ret = rmi_smc(h, RMI_RTT_UNPROT_UNMAP, rd, base, top, 0, 0, &r);
	*next = r.x[1];
	return ret;
}

#endif
