/*
 * The hardware side: what the MMU's stage-2 walk does on a guest access,
 * so the simulator can raise the fault (and build the ESR's FSC) that a
 * real CPU would.
 */
#include "pgtable_internal.h"

static int fault(int level, bool perm, int *fault_level, bool *perm_fault)
{
	*fault_level = level;
	*perm_fault = perm;
	return -EFAULT;
}

/* Valid descriptors that the architecture still treats as faults with a
 * 4 KiB granule: a block at level 0, a "block" encoding at level 3. */
static bool leaf_encoding_ok(kvm_pte_t pte, int level)
{
	if (level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return false;
	return level != KVM_PGTABLE_LAST_LEVEL || (pte & KVM_PTE_TYPE);
}

int kvm_pgtable_hw_translate(struct kvm_pgtable *pgt, uint64_t ipa, bool write,
			     uint64_t *pa, int *fault_level, bool *perm_fault)
{
	int level;
	kvm_pteref_t ptep;
	kvm_pte_t pte;

	if (!pgt || !pa || !fault_level || !perm_fault)
		return -EINVAL;
	*perm_fault = false;
	level = pgt->start_level;
	if (ipa >= ipa_limit(pgt)) {
		*fault_level = level;
		return -E2BIG;
	}
	ptep = root_entry(pgt, ipa);
	for (;;) {
		if (!ptep)
			return fault(level, false, fault_level, perm_fault);
		pte = pte_read(ptep);
		if (!kvm_pte_table(pte, level))
			break;
		level++;
		ptep = table_entries(pgt, kvm_pte_to_phys(pte));
		if (ptep)
			ptep += level_index(ipa, level);
	}

	if (!kvm_pte_valid(pte) || !leaf_encoding_ok(pte, level))
		return fault(level, false, fault_level, perm_fault);
	if (!(pte & (write ? KVM_PTE_S2AP_W : KVM_PTE_S2AP_R)))
		return fault(level, true, fault_level, perm_fault);
	*pa = (kvm_pte_to_phys(pte) & ~(kvm_granule_size(level) - 1)) |
	      (ipa & (kvm_granule_size(level) - 1));
	*fault_level = level;
	return 0;
}
