/*
 * Realm Initial Measurement (RIM): the measurement the RMM extends while a
 * realm is NEW (see measure.h).
 *
 * The hashing is Debian's libcrypto (EVP), never a hand-written hash: the
 * point of modelling the measurement is that measured population costs
 * what hashing 4 KiB per granule costs, so measured and unmeasured
 * population differ as they do on hardware.
 */
#include "measure.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "abi/rmi.h"

/* RmmMeasurementDescriptor{Data,Ripas} (DEN0137 1.0 C1.x "RIM extension"):
 * a 256-byte record hashed after the previous RIM. Offsets follow the
 * specification's layout; unused bytes are zero. */
#define DESC_BYTES    0x100
#define DESC_TYPE_DATA  0x0
#define DESC_TYPE_RIPAS 0x1

struct measure_desc {
	uint8_t desc_type;          /* 0x00 */
	uint8_t pad0[7];
	uint64_t len;               /* 0x08: DESC_BYTES */
	uint8_t rim[RMM_RIM_MAX];   /* 0x10 */
	uint64_t addr;              /* 0x50: IPA (DATA) or base (RIPAS) */
	uint64_t flags_or_top;      /* 0x58: flags (DATA) or top (RIPAS) */
	uint8_t content[RMM_RIM_MAX]; /* 0x60: hash of the granule (DATA, measured) */
	uint8_t pad1[DESC_BYTES - 0xa0];
};
_Static_assert(sizeof(struct measure_desc) == DESC_BYTES, "descriptor is 256 bytes");

/* Fetched once: OpenSSL 3 looks a digest up in its providers on every
 * call given EVP_sha256() (an implicit fetch), which cost more than
 * hashing a 4 KiB granule with the CPU's SHA instructions. */
static EVP_MD *fetched[2];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	fetched[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched[1] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

static const EVP_MD *algo_md(unsigned hash_algo)
{
	unsigned i = hash_algo == RMI_HASH_SHA_512;

	pthread_once(&fetch_once, fetch_digests);
	if (fetched[i])
		return fetched[i];
	return i ? EVP_sha512() : EVP_sha256();
}

unsigned rmm_rim_size(unsigned hash_algo)
{
	return hash_algo == RMI_HASH_SHA_512 ? 64 : 32;
}

static bool digest(unsigned hash_algo, const void *data, size_t len, uint8_t out[RMM_RIM_MAX])
{
	unsigned int n = 0;

	memset(out, 0, RMM_RIM_MAX);
	return EVP_Digest(data, len, out, &n, algo_md(hash_algo), NULL) == 1;
}

bool rmm_rim_init(struct rmm_rim *rim, unsigned hash_algo, const void *params, size_t len)
{
	rim->hash_algo = hash_algo;
	return digest(hash_algo, params, len, rim->value);
}

static bool extend(struct rmm_rim *rim, struct measure_desc *d)
{
	d->len = DESC_BYTES;
	memcpy(d->rim, rim->value, RMM_RIM_MAX);
	return digest(rim->hash_algo, d, sizeof(*d), rim->value);
}

bool rmm_rim_extend_data(struct rmm_rim *rim, uint64_t ipa, bool measure_content,
			 const void *granule, size_t len)
{
	struct measure_desc d = { .desc_type = DESC_TYPE_DATA, .addr = ipa,
				  .flags_or_top = measure_content ? 1 : 0 };

	if (measure_content && !digest(rim->hash_algo, granule, len, d.content))
		return false;
	return extend(rim, &d);
}

bool rmm_rim_extend_ripas(struct rmm_rim *rim, uint64_t base, uint64_t top)
{
	struct measure_desc d = { .desc_type = DESC_TYPE_RIPAS, .addr = base,
				  .flags_or_top = top };

	return extend(rim, &d);
}

/* ---- reading a realm's RIM (tests, the harness) ---- */

#include "rmm_internal.h"

int rmm_sim_realm_rim(struct rmm *rmm, uint64_t rd_pa, uint8_t *out, size_t out_len)
{
	struct granule *g_rd = granule_find_lock(rmm, rd_pa, GRANULE_STATE_RD);
	int n = -1;

	if (!g_rd)
		return -1;
	const struct realm *rd = g_rd->obj;
	unsigned size = rmm_rim_size(rd->rim.hash_algo);
	if (out_len >= size) {
		memcpy(out, rd->rim.value, size);
		n = (int)size;
	}
	granule_unlock(g_rd);
	return n;
}
