/*
 * Host mapping policies: how a host maps a stage-2 fault.
 *
 * Contract: a policy is one file under host/kvm/policies/ defining one
 * `const struct kvm_policy` and one line in policy.c's registry. The run
 * loop calls the hooks with the VM's mmu_lock held (read for faults, write
 * for RIPAS changes), after pinning the host page; a hook issues RMI calls
 * only through rmi_cmds.h on vcpu->rmi, marks its stages with
 * kvm_stage_mark(), takes table pages from the vCPU memcache, and returns 0
 * or a negative errno (with kvm_set_error() for a message).
 *
 * To evaluate a host patch, copy the closest policy file, change what the
 * patch changes, add it to KVM_POLICY_LIST below, and run both: the
 * results record the policy (docs/sim-backend.md).
 */
#ifndef KVM_POLICY_H
#define KVM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/rmi.h"
#include "kvm/kvm.h"

/* Backings on which the host series maps a 2 MiB block (the kernel's
 * vma_pagesize decision in user_mem_abort / private_memslot_fault). */
#define KVM_BLOCKS_FROM_THP     (1u << 0) /* transparent huge pages */
#define KVM_BLOCKS_FROM_HUGETLB (1u << 1) /* hugetlbfs pages */

struct kvm_policy {
	const char *name;
	/* An older name that still selects this policy (NULL: none); results
	 * record `name`, and compare matches the two as one. */
	const char *alias;
	/* The Arm CCA host series the policy follows call for call ("v14",
	 * "v15"), NULL for the others; the kvm backend refuses a policy of
	 * one series on a kernel of the other (host/vmm cca.h). */
	const char *series;
	const char *summary;     /* one line for `rme-bench list policies` */
	enum vm_type vm;
	enum rmi_abi abi;        /* realm policies only */
	/* KVM_BLOCKS_FROM_* bits; on any other backing every fault maps
	 * 4 KiB (the early series disables THP blocks for realms; the
	 * guest_memfd series force page mappings for realms). */
	unsigned block_backings;
	/* The early series' spare delegated page (alloc_delegated_page /
	 * free_delegated_page): an RTT page the host frees is kept delegated
	 * as the realm's spare when it has none, and the next RTT page is the
	 * spare when there is one, saving an UNDELEGATE + DELEGATE pair. */
	bool spare_rtt_page;

	/* Realm: map [ipa, ipa + size) of protected IPA space to the host
	 * pages at pa (size 4 KiB or 2 MiB, both aligned). -E2BIG: this
	 * range cannot be mapped at this size (part of it is mapped below a
	 * table); the caller retries the faulting 4 KiB page alone. */
	int (*map_protected)(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa,
			     uint64_t size);
	/* Realm: map an unprotected IPA (alias bit set) to NS memory at pa. */
	int (*map_unprotected)(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa,
			       uint64_t size);
	/* Realm: apply a RIPAS_CHANGE request [base, top) -> ripas as far as
	 * possible; *reached is the top of what was changed. */
	int (*set_ripas)(struct kvm_vcpu *vcpu, uint64_t base, uint64_t top,
			 unsigned ripas, uint64_t *reached);
	/* Normal VM: handle a stage-2 fault at ipa (perm: permission fault). */
	int (*s2_map)(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t pa,
		      uint64_t size, bool perm_fault, bool write);
};

/* The registry: one X(id) per policy, defined as `policy_<id>` in
 * policies/<id>.c (CMake picks up every file there). Adding a policy is
 * that file and one entry here; the order is `list policies` order. */
#define KVM_POLICY_LIST(X) \
	X(cca_v1)          \
	X(cca_rmm2)        \
	X(cca_v15)         \
	X(normal)          \
	X(cca_v1_fold4k)   \
	X(cca_rmm2_2m)

#define KVM_POLICY_EXTERN(id) extern const struct kvm_policy policy_##id;
KVM_POLICY_LIST(KVM_POLICY_EXTERN)
#undef KVM_POLICY_EXTERN

/* By name or alias; NULL when neither matches. */
const struct kvm_policy *kvm_policy_find(const char *name);

/* Do two recorded policy names name the same policy (one may be the
 * other's alias)? Unknown names compare as strings. */
bool kvm_policy_same(const char *a, const char *b);

/* The policy of a CCA host series ("v14", "v15"), or NULL. */
const struct kvm_policy *kvm_policy_of_series(const char *series);

/* Largest stage-2 mapping a fault of this policy's VM gets on a backing of
 * `backing_page` bytes (4 KiB, or 2 MiB from hugetlbfs or THP). */
uint64_t kvm_policy_map_limit(const struct kvm_policy *p, uint64_t backing_page,
			      bool hugetlb);
const struct kvm_policy *kvm_policy_at(size_t index);

void kvm_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
