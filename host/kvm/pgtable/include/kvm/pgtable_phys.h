/*
 * mm_ops for the stage-2 tables over the simulator's modeled DRAM
 * (host/phys): table pages are real PAs handed out by phys_alloc, found
 * with phys_va, returned with phys_free. Use it when descriptors must point
 * at the same PA space as the rest of the simulated machine.
 *
 * Contract: `pm` must outlive every pgtable and memcache using the ops.
 * Allocation failure (DRAM full) shows as KVM_PGTABLE_NO_PA, so as -ENOMEM
 * from kvm_pgtable_stage2_init / kvm_mmu_topup_memcache.
 */
#ifndef KVM_PGTABLE_PHYS_H
#define KVM_PGTABLE_PHYS_H

#include "kvm/pgtable.h"
#include "phys/phys.h"

void kvm_pgtable_phys_mm_ops_init(struct kvm_pgtable_mm_ops *ops, struct phys_mem *pm);

#endif
