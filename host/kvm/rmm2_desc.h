/*
 * RMM 2.0 argument encodings used by the cca-rmm2 policy and the realm
 * helpers: RmiAddrRangeDesc (a contiguous output address range) and the
 * flags of RTT_DATA_MAP / RTT_UNPROT_MAP. Values from the current TF-RMM
 * smc-rmi.h (RMI_ADDR_RDESC_4K_*): size class in bits [1:0] (0 = 4 KiB
 * page, 1 = 2 MiB block), count in [11:2], address in [51:12].
 */
#ifndef KVM_RMM2_DESC_H
#define KVM_RMM2_DESC_H

#include <stdint.h>

#include "abi/rmi.h"

#define RMM2_DATA_MAP_FLAGS   0ULL  /* oaddr is a single range descriptor */
#define RMM2_UNPROT_MAP_FLAGS 0ULL
/* Unprotected mappings: Normal WB (FWB), read/write, inner shareable. */
#define RMM2_NS_ATTRS         0ULL

static inline uint64_t rmm2_range_desc(uint64_t pa, uint64_t len, int level)
{
	uint64_t blk = level == RTT_MAX_LEVEL ? 0 : (uint64_t)(RTT_MAX_LEVEL - level);
	uint64_t count = len / rtt_level_map_size(level);

	return (pa & 0x000ffffffffff000ULL) | ((count & 0x3ff) << 2) | blk;
}

#endif
