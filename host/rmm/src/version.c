/*
 * RMI_VERSION and RMI_FEATURES.
 */
#include "rmm_internal.h"

/* RmiFeatureRegister0 fields. RMM 1.0: NUM_WPS at 18 and the hash bits
 * in register 0; the 2.0 layout widens NUM_BPS/NUM_WPS to 6 bits (WPS at
 * 20) and moves the hash bits to register 1 (GRAN_SZ_4K at 0). */
#define FEAT0_S2SZ_SHIFT         0
#define FEAT0_NUM_BPS_SHIFT      14
#define FEAT0_1_0_NUM_WPS_SHIFT  18
#define FEAT0_2_0_NUM_WPS_SHIFT  20
#define FEAT0_1_0_HASH_SHA_256   (1ULL << 28)
#define FEAT0_1_0_HASH_SHA_512   (1ULL << 29)
#define FEAT1_2_0_GRAN_SZ_4K     (1ULL << 0)
#define FEAT1_2_0_HASH_SHA_256   (1ULL << 3)
#define FEAT1_2_0_HASH_SHA_512   (1ULL << 5)

/* What the model's "hardware" offers: no LPA2, SVE or PMU. */
#define MODEL_NUM_BPS 2
#define MODEL_NUM_WPS 2

static uint64_t abi_version(enum rmi_abi abi)
{
	return abi == RMI_ABI_2_0 ? RMI_ABI_VERSION(2, 0) : RMI_ABI_VERSION(1, 0);
}

/* X1 = the version the host asks for; SUCCESS if we implement it. X1/X2
 * of the result are the lowest and highest revisions implemented. */
void smc_version(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	uint64_t requested = args->x[0];
	uint64_t ours = abi_version(rmm->cfg.abi);

	res->x[0] = requested == ours ? RMI_SUCCESS : RMI_ERROR_INPUT;
	res->x[1] = ours;
	res->x[2] = ours;
}

static uint64_t feature_register(const struct rmm *rmm, uint64_t index)
{
	bool v1 = rmm->cfg.abi == RMI_ABI_1_0;

	if (index == 0)
		return ((uint64_t)rmm->cfg.max_s2sz << FEAT0_S2SZ_SHIFT) |
		       ((uint64_t)MODEL_NUM_BPS << FEAT0_NUM_BPS_SHIFT) |
		       ((uint64_t)MODEL_NUM_WPS << (v1 ? FEAT0_1_0_NUM_WPS_SHIFT
						      : FEAT0_2_0_NUM_WPS_SHIFT)) |
		       (v1 ? FEAT0_1_0_HASH_SHA_256 | FEAT0_1_0_HASH_SHA_512 : 0);
	if (index == 1 && !v1)
		return FEAT1_2_0_GRAN_SZ_4K | FEAT1_2_0_HASH_SHA_256 | FEAT1_2_0_HASH_SHA_512;
	return 0;
}

/* Unknown register indices read as zero (no features), as TF-RMM does. */
void smc_features(struct rmm *rmm, const struct smc_args *args, struct smc_res *res)
{
	res->x[0] = RMI_SUCCESS;
	res->x[1] = feature_register(rmm, args->x[0]);
}

unsigned rmm_model_num_bps(void) { return MODEL_NUM_BPS; }
unsigned rmm_model_num_wps(void) { return MODEL_NUM_WPS; }
