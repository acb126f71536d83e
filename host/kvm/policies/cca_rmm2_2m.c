/*
 * cca-rmm2-2m: cca-v14 (cca-rmm2) with 2 MiB blocks, i.e. the 2026 series
 * as it would behave once private_memslot_fault's "FIXME: Should be able to use
 * bigger than PAGE_SIZE mappings" is resolved and realms are no longer
 * forced to page mappings. Not a published kernel: a what-if for the RMM
 * 2.0 range interface, which can map a whole block in one call.
 *
 * Per protected 2 MiB fault on 2 MiB backing (THP or hugetlbfs):
 * GRANULE_RANGE_DELEGATE of the 512 granules (one call), RTT_DATA_MAP of
 * a level-2 block (one call; the RMM zeroes 2 MiB); no level-3 table, no
 * fold. A missing level-2 table costs RANGE_DELEGATE + RTT_CREATE + the
 * retried DATA_MAP (tables are made down to the block's level: the
 * series' code makes them down to level 3, which would defeat the block).
 * A 2 MiB fault on a block a RIPAS change split maps the faulting 4 KiB
 * page alone (-E2BIG, see kvm/policy.h). 4 KiB faults, unprotected faults
 * and RIPAS changes are cca-v14's.
 */
#include "kvm/policy.h"
#include "kvm/realm.h"
#include "cca_v14.h"

const struct kvm_policy policy_cca_rmm2_2m = {
	.name = "cca-rmm2-2m",
	.summary = "WHAT-IF: cca-v14 with 2 MiB blocks mapped in one RTT_DATA_MAP (not a published kernel)",
	.vm = VM_REALM,
	.abi = RMI_ABI_2_0,
	.block_backings = KVM_BLOCKS_FROM_THP | KVM_BLOCKS_FROM_HUGETLB,
	.map_protected = cca_v14_map_protected,
	.map_unprotected = cca_v14_map_unprotected,
	.set_ripas = realm_set_ipa_state,
};
