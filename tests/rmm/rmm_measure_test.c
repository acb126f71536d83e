/*
 * The RIM: REALM_CREATE initialises it from the parameter granule,
 * RTT_INIT_RIPAS and DATA_CREATE / RTT_DATA_MAP_INIT extend it with the
 * 256-byte descriptors of measure.h, hashing the granule's contents only
 * under RMI_MEASURE_CONTENT. Expected values are recomputed here with
 * libcrypto from the descriptor layout, for both ABIs and both algorithms.
 */
#include <string.h>

#include <openssl/evp.h>

#include "rmm_test_util.h"


#define IPA 0x80000000ULL

static void hash(unsigned algo, const void *data, size_t len, uint8_t out[64])
{
	unsigned int n;

	memset(out, 0, 64);
	EVP_Digest(data, len, out, &n, algo ? EVP_sha512() : EVP_sha256(), NULL);
}

/* rim = H(desc) where desc = {type, len 0x100, rim, addr, flags/top, content}. */
static void extend(unsigned algo, uint8_t rim[64], uint8_t type, uint64_t addr, uint64_t word,
		   const uint8_t content[64])
{
	uint8_t d[256] = { 0 };
	uint64_t len = 0x100;

	d[0] = type;
	memcpy(d + 0x08, &len, 8);
	memcpy(d + 0x10, rim, 64);
	memcpy(d + 0x50, &addr, 8);
	memcpy(d + 0x58, &word, 8);
	if (content)
		memcpy(d + 0x60, content, 64);
	hash(algo, d, sizeof(d), rim);
}

static void one(enum rmi_abi abi, unsigned algo, bool measured)
{
	struct tmachine m;
	struct trealm r;
	uint8_t want[64], got[64] = { 0 }, content[64];

	tm_init(&m, abi);
	struct rmi_realm_params *p;
	CHECK_EQ(tm_realm_create(&m, &r, 40, 1), RMI_SUCCESS);
	/* Again with the algorithm under test (the helper picks SHA-256). */
	if (algo) {
		tm_fini(&m);
		tm_init(&m, abi);
		memset(&r, 0, sizeof(r));
		r.rd = tm_delegated(&m);
		r.s2sz = 40;
		r.sl = 1;
		r.num_root = 2;
		r.rtt_base = tm_delegated_range(&m, 2, 2 * GRANULE_SIZE);
		r.params = tm_page(&m);
		p = phys_va(m.pm, r.params);
		memset(p, 0, sizeof(*p));
		*p = (struct rmi_realm_params){ .s2sz = 40, .hash_algo = RMI_HASH_SHA_512,
						.vmid = 7, .rtt_base = r.rtt_base,
						.rtt_level_start = 1, .rtt_num_start = 2,
						.num_bps = 1, .num_wps = 1 };
		CHECK_EQ(SMC(&m, RMI_REALM_CREATE, r.rd, r.params), RMI_SUCCESS);
	}
	p = phys_va(m.pm, r.params);
	hash(algo, p, sizeof(*p), want);

	tm_rtt_create_to(&m, &r, IPA, 3);
	CHECK_EQ(SMC(&m, RMI_RTT_INIT_RIPAS, r.rd, IPA, IPA + GRANULE_SIZE), RMI_SUCCESS);
	extend(algo, want, 1, IPA, IPA + GRANULE_SIZE, NULL);

	uint64_t src = tm_page(&m), data = tm_delegated(&m);
	uint8_t *s = phys_va(m.pm, src);
	for (int i = 0; i < 4096; i++)
		s[i] = (uint8_t)(i * 7);
	hash(algo, s, 4096, content);
	/* DATA_CREATE and RTT_DATA_MAP_INIT share FID 0x153 and registers. */
	CHECK_EQ(SMC(&m, RMI_DATA_CREATE, r.rd, data, IPA, src, measured ? 1 : 0), RMI_SUCCESS);
	extend(algo, want, 0, IPA, measured ? 1 : 0, measured ? content : NULL);

	unsigned size = algo ? 64 : 32;
	CHECK_EQ(rmm_sim_realm_rim(m.rmm, r.rd, got, sizeof(got)), size);
	CHECK(memcmp(got, want, size) == 0);
	CHECK_EQ(rmm_sim_realm_rim(m.rmm, r.rd, got, size - 1), (uint64_t)-1);
	CHECK_EQ(rmm_sim_realm_rim(m.rmm, data, got, sizeof(got)), (uint64_t)-1);
	tm_fini(&m);
}

int main(void)
{
	for (int abi = 0; abi < 2; abi++)
		for (unsigned algo = 0; algo < 2; algo++)
			for (int measured = 0; measured < 2; measured++)
				one(abi ? RMI_ABI_2_0 : RMI_ABI_1_0, algo, measured);
	return t_report("rmm_measure_test");
}
