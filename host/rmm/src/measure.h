/*
 * Realm Initial Measurement of the RMM model.
 *
 * Contract: a struct rmm_rim is one realm's RIM, owned by its RD and
 * changed only under the RD lock. REALM_CREATE initialises it from the
 * realm parameters; DATA_CREATE / RTT_DATA_MAP_INIT extend it with a DATA
 * descriptor (with the hash of the granule's contents when the host asked
 * for RMI_MEASURE_CONTENT, zeros otherwise) and RTT_INIT_RIPAS with a
 * RIPAS descriptor, in the realm's algorithm (SHA-256 or SHA-512). The
 * functions return false only if libcrypto fails; the caller then fails
 * the command. Uses libcrypto only.
 *
 * Simplification (stated in docs/rmm-model.md): the initial value is the
 * hash of the whole RmiRealmParams granule, where the specification
 * hashes it with some fields cleared; REC_CREATE does not extend the RIM.
 */
#ifndef RMM_MEASURE_H
#define RMM_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMM_RIM_MAX 64

struct rmm_rim {
	unsigned hash_algo;          /* RMI_HASH_SHA_256 / _512 */
	uint8_t value[RMM_RIM_MAX];  /* bytes past rmm_rim_size() are zero */
};

unsigned rmm_rim_size(unsigned hash_algo);
bool rmm_rim_init(struct rmm_rim *rim, unsigned hash_algo, const void *params, size_t len);
bool rmm_rim_extend_data(struct rmm_rim *rim, uint64_t ipa, bool measure_content,
			 const void *granule, size_t len);
bool rmm_rim_extend_ripas(struct rmm_rim *rim, uint64_t base, uint64_t top);

#endif
