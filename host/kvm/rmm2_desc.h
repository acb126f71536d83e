/*
 * RMM 2.0 argument encodings used by the cca-rmm2 policy and the realm
 * helpers: RmiAddrRangeDesc (a contiguous output address range) and the
 * flags of RTT_DATA_MAP / RTT_UNPROT_MAP / RTT_DATA_UNMAP, as the RMM model
 * decodes them (host/rmm/src/rtt_range.c, after the current TF-RMM
 * smc-rmi.h): descriptor size class in bits [1:0] (3 - level: 0 = 4 KiB
 * page, 1 = 2 MiB block), count in [11:2], address in [51:12], state in
 * [63] (0 delegated, 1 undelegated); flags oaddr_type in [1:0] (1 =
 * SINGLE: X5 is one descriptor), MemAttr in [18:16], S2AP in [22:19].
 */
#ifndef KVM_RMM2_DESC_H
#define KVM_RMM2_DESC_H

#include <stdint.h>

#include "abi/rmi.h"

#define RMM2_ADDR_TYPE_SINGLE 1ULL
#define RMM2_DESC_UNDELEGATED (1ULL << 63)
/* Protected data: one descriptor of delegated granules. */
#define RMM2_DATA_MAP_FLAGS   RMM2_ADDR_TYPE_SINGLE
/* Unprotected mappings: Normal WB with FWB (MT_S2_FWB_NORMAL = 6), S2AP
 * direct read + write, one descriptor of NS (undelegated) memory. */
#define RMM2_UNPROT_MAP_FLAGS (RMM2_ADDR_TYPE_SINGLE | (6ULL << 16) | (3ULL << 19))

static inline uint64_t rmm2_range_desc(uint64_t pa, uint64_t len, int level)
{
	uint64_t blk = level == RTT_MAX_LEVEL ? 0 : (uint64_t)(RTT_MAX_LEVEL - level);
	uint64_t count = len / rtt_level_map_size(level);

	return (pa & 0x000ffffffffff000ULL) | ((count & 0x3ff) << 2) | blk;
}

#endif
