/*
 * cca-v1: the early Arm CCA host series on RMM 1.0 (the pre-guest_memfd
 * arch/arm64/kvm/rme.c, read at lougovsk/linux b6cff5baf3b7:
 * realm_map_protected, realm_map_non_secure, realm_create_rtt_levels,
 * alloc_delegated_page / free_delegated_page, fold_rtt,
 * realm_destroy_protected, realm_fold_rtt_level, realm_set_ipa_state; the
 * seed quoted in ../shared/reference is the same path). The code is ours.
 *
 * Mapping size: user_mem_abort() maps a realm block only when the VMA is
 * hugetlbfs (vma_pagesize 2 MiB); the THP upgrade is disabled for realms
 * ("FIXME: We shouldn't need to disable this for realms"). So
 * block_backings is hugetlb only: on THP backing a realm takes 4 KiB faults.
 *
 * The spare page (spare_rtt_page): alloc_delegated_page() takes the realm's
 * spare delegated page when there is one (no DELEGATE) and
 * free_delegated_page() keeps a freed RTT page as the spare when there is
 * none (no UNDELEGATE). Pages freed by fold_rtt() after a block map, by a
 * failed RTT_CREATE and by a failed unfold go through it; the fold scan
 * after a RIPAS change and teardown undelegate directly, as the series.
 *
 * Per protected fault (realm_map_protected):
 *   4 KiB: GRANULE_DELEGATE, DATA_CREATE_UNKNOWN; on RMI_ERROR_RTT(L)
 *          create the RTTs from L + 1 down to level 3 (each on a page from
 *          alloc_delegated_page: the spare, or DELEGATE of a memcache page)
 *          and retry once.
 *   2 MiB: pre-create the level-3 RTT (its failure is ignored, the page
 *          goes to free_delegated_page), then the above for each of the 512
 *          granules, then RTT_FOLD of the table into a level-2 block; the
 *          table's page goes to free_delegated_page.
 *   A failed DELEGATE means the granule is already delegated: read the
 *   entry (RTT_READ_ENTRY); if it maps our page another vCPU won the race.
 *   Errors unwind: DATA_DESTROY + undelegate what this call created.
 * Unprotected faults (realm_map_non_secure): RTT_MAP_UNPROTECTED; on
 * ERROR_RTT create levels and retry. RIPAS changes (realm.c,
 * realm_set_ipa_state): RTT_SET_RIPAS loop creating tables down to
 * find_map_level(); for EMPTY then DATA_DESTROY + GRANULE_UNDELEGATE of the
 * changed range (unfolding blocks on a page from alloc_delegated_page) and
 * the fold scan realm_fold_rtt_level().
 *
 * RMI calls per fault (REC_ENTER not counted; tested in
 * tests/kvm/test_kvm_counts.c). "spare" = the realm has a spare page.
 *   protected 4K, tables present        DELEGATE, DATA_CREATE_UNKNOWN       2
 *   protected 4K, level-3 RTT missing   + DCU(ERROR_RTT), DELEGATE,
 *                                         RTT_CREATE                5 (spare: 4)
 *   protected 4K, levels 2+3 missing    + 2 x (DELEGATE, RTT_CREATE) 7 (spare: 6)
 *   protected 2M block (hugetlb), level-2 table present:
 *     [DELEGATE], RTT_CREATE, 512 x (DELEGATE, DCU), RTT_FOLD
 *                                         1027 without a spare (the folded
 *                                         table's page becomes the spare),
 *                                         1026 with one (steady state)
 *   protected 2M, level-3 table already there (a split block re-faulted):
 *     [DELEGATE], RTT_CREATE (refused: page back to the spare), then per
 *     granule DELEGATE (+ RTT_READ_ENTRY where already mapped) ...
 *   unprotected 4K                      RTT_MAP_UNPROTECTED                  1
 *   unprotected, level 3 / 2+3 missing                  4 / 6 (spare: 3 / 5)
 *   RIPAS -> EMPTY of a 4K page under a live level-3 table: RTT_SET_RIPAS,
 *     DATA_DESTROY, GRANULE_UNDELEGATE, then the fold scan's RTT_FOLDs.
 *
 * Fold: RTT_FOLD alone, as RMM 1.0 final (the RTT address is an output).
 * The seed's fold_rtt is RTT_READ_ENTRY + RTT_FOLD because RMM 1.0-beta's
 * RTT_FOLD took the table's address as an input; the model implements
 * 1.0 final only, so that variant is not offered as a policy.
 *
 * Where this differs from the series:
 *   - RTT_CREATE failing because the table exists: the series returns
 *     -ENXIO from realm_create_rtt_levels(), which fails the fault when a
 *     DATA_CREATE_UNKNOWN retry needed the table (two vCPUs racing on a
 *     missing table: a KVM_RUN error in that series). Here the page goes
 *     to free_delegated_page() exactly as there and the walk goes on, so
 *     concurrent runs complete. Single-vCPU runs never take this path
 *     except in the 2 MiB pre-create, whose result the series ignores too.
 *   - The series returns as soon as a DELEGATE fails on a granule that is
 *     mapped (assuming a racing vCPU). For a 2 MiB fault on a block that a
 *     RIPAS change split (unfold pattern) the other 511 granules are still
 *     mapped, so the series would return forever and the guest would
 *     livelock. Here a block map skips granules that are mapped to our page
 *     and maps the rest, then folds the block again; a granule whose entry
 *     is not created yet (a racing vCPU midway) still makes the guest retry.
 *   - The series WARNs when the raced entry does not match; we fail the
 *     fault with a message instead.
 */
#include <errno.h>

#include "kvm/policy.h"
#include "kvm/realm.h"

/* Stage-2 attributes the host gives an unprotected mapping: Normal WB with
 * FWB (MemAttr 0b0110) and S2AP read/write, as the series'
 * realm_map_non_secure (PTE_S2_MEMATTR(MT_S2_FWB_NORMAL) | 3 << 6). The
 * 1.0-beta seed also set SH (PTE_SHARED); RMM 1.0 makes shareability the
 * RMM's and refuses a descriptor that sets it. */
#define NS_DESC_ATTRS ((6ULL << 2) | (3ULL << 6))

static int map_level_of(uint64_t size)
{
	return size == (2ULL << 20) ? RTT_MAX_LEVEL - 1 : RTT_MAX_LEVEL;
}

/* Undo a partial map: destroy and undelegate what was created, newest
 * first (the seed's err path). */
static void unwind(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
		   uint64_t done)
{
	uint64_t rd = vcpu->kvm->realm.rd;

	while (done) {
		uint64_t data, top;
		done -= GRANULE_SIZE;
		rmi_data_destroy(&vcpu->rmi, rd, base_ipa + done, &data, &top);
		realm_release_data(vcpu, base_pa + done);
	}
}

/* What a failed GRANULE_DELEGATE found at the granule's IPA. */
enum raced { RACED_MAPPED_OURS, RACED_IN_PROGRESS, RACED_CONFLICT };

/*
 * The page is already delegated: a vCPU (this one, for an earlier part of a
 * block, or another one racing on the same fault) mapped it or is mapping
 * it. Read the entry: our page mapped there is fine; an entry not created
 * yet means another vCPU is midway (the seed WARNs and fails the vCPU
 * here; a benchmark lets the guest retry instead).
 */
static enum raced check_raced_entry(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa)
{
	struct rtt_entry e;

	if (rmi_rtt_read_entry(&vcpu->rmi, vcpu->kvm->realm.rd, ipa, RTT_MAX_LEVEL, &e) !=
	    RMI_SUCCESS)
		return RACED_CONFLICT;
	uint64_t size = rtt_level_map_size(e.walk_level);
	if (e.state == RMI_ASSIGNED &&
	    (e.desc & 0xfffffffff000ULL & ~(size - 1)) == (pa & ~(size - 1)))
		return RACED_MAPPED_OURS;
	return e.state == RMI_UNASSIGNED ? RACED_IN_PROGRESS : RACED_CONFLICT;
}

/* Fold the level-3 table of a completed block. If another vCPU folded it
 * first, the level-2 entry is already a block: that is success too. */
static int fold_block(struct kvm_vcpu *vcpu, uint64_t base_ipa)
{
	struct rtt_entry e;

	if (!realm_fold_rtt(vcpu, base_ipa))
		return 0;
	if (rmi_rtt_read_entry(&vcpu->rmi, vcpu->kvm->realm.rd, base_ipa, RTT_MAX_LEVEL - 1,
			       &e) == RMI_SUCCESS &&
	    e.walk_level == RTT_MAX_LEVEL - 1 && e.state == RMI_ASSIGNED)
		return 0;
	return -ENXIO;
}

static int map_protected(struct kvm_vcpu *vcpu, uint64_t base_ipa, uint64_t base_pa,
			 uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	int map_level = map_level_of(size);
	uint64_t off, created = 0;

	if (map_level < RTT_MAX_LEVEL) {
		/* A temporary level-3 RTT is needed to build the block; make
		 * it now (missing parents are handled by the retry below). */
		realm_create_rtt_levels(vcpu, base_ipa, map_level, RTT_MAX_LEVEL);
	}

	for (off = 0; off < size; off += GRANULE_SIZE) {
		uint64_t ipa = base_ipa + off, pa = base_pa + off;

		uint64_t ret = rmi_granule_delegate(&vcpu->rmi, pa);
		kvm_stage_mark(vcpu, STAGE_GRANULE_DELEGATE);
		if (ret != RMI_SUCCESS) {
			enum raced r = check_raced_entry(vcpu, ipa, pa);
			if (r == RACED_CONFLICT)
				goto err;
			/* Part of a block already mapped (e.g. after an
			 * unfold): map the rest. Not a race. */
			if (r == RACED_MAPPED_OURS && map_level < RTT_MAX_LEVEL)
				continue;
			/* Another vCPU mapped it or is mapping it: the guest
			 * retries (one more fault when it is still midway). */
			vcpu->stats.races++;
			return 0;
		}

		ret = rmi_data_create_unknown(&vcpu->rmi, rd, pa, ipa);
		kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
			int level = (int)RMI_RETURN_INDEX(ret);
			if (realm_create_rtt_levels(vcpu, ipa, level, RTT_MAX_LEVEL))
				goto err_undelegate;
			ret = rmi_data_create_unknown(&vcpu->rmi, rd, pa, ipa);
			kvm_stage_mark(vcpu, STAGE_DATA_CREATE);
		}
		if (ret != RMI_SUCCESS) {
			kvm_set_error("DATA_CREATE_UNKNOWN ipa %#llx: status %u index %u",
				      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
				      RMI_RETURN_INDEX(ret));
			goto err_undelegate;
		}
		created = off + GRANULE_SIZE;
	}

	if (map_level < RTT_MAX_LEVEL && fold_block(vcpu, base_ipa))
		goto err;
	return 0;

err_undelegate:
	realm_release_data(vcpu, base_pa + off);
err:
	unwind(vcpu, base_ipa, base_pa, created);
	return -ENXIO;
}

static int map_unprotected(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa, uint64_t size)
{
	uint64_t rd = vcpu->kvm->realm.rd;
	int map_level = map_level_of(size);
	uint64_t desc = pa | NS_DESC_ATTRS;

	uint64_t ret = rmi_rtt_map_unprotected(&vcpu->rmi, rd, ipa, map_level, desc);
	kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	if (RMI_RETURN_STATUS(ret) == RMI_ERROR_RTT) {
		int level = (int)RMI_RETURN_INDEX(ret);
		if (realm_create_rtt_levels(vcpu, ipa, level, map_level))
			return -ENXIO;
		ret = rmi_rtt_map_unprotected(&vcpu->rmi, rd, ipa, map_level, desc);
		kvm_stage_mark(vcpu, STAGE_UNPROT_MAP);
	}
	if (ret != RMI_SUCCESS) {
		/* Another vCPU may have mapped it: the entry is then valid. */
		struct rtt_entry e;
		if (rmi_rtt_read_entry(&vcpu->rmi, rd, ipa, map_level, &e) == RMI_SUCCESS &&
		    e.state == RMI_ASSIGNED) {
			vcpu->stats.races++;
			return 0;
		}
		kvm_set_error("RTT_MAP_UNPROTECTED ipa %#llx: status %u index %u",
			      (unsigned long long)ipa, RMI_RETURN_STATUS(ret),
			      RMI_RETURN_INDEX(ret));
		return -ENXIO;
	}
	return 0;
}

const struct kvm_policy policy_cca_v1 = {
	.name = "cca-v1",
	.summary = "early CCA host series on RMM 1.0: DELEGATE + DATA_CREATE_UNKNOWN per 4K, fold for 2M",
	.vm = VM_REALM,
	.abi = RMI_ABI_1_0,
	.block_backings = KVM_BLOCKS_FROM_HUGETLB,
	.spare_rtt_page = true,
	.map_protected = map_protected,
	.map_unprotected = map_unprotected,
	/* RIPAS changes (realm.c, shared with cca-rmm2 as the series share
	 * it): RTT_SET_RIPAS first, tables created or blocks unfolded down to
	 * the level the range needs; for EMPTY then DATA_DESTROY + undelegate
	 * of what was changed, and RTT_FOLD of tables the unmap left empty. */
	.set_ripas = realm_set_ipa_state,
};
