/*
 * Which Arm CCA host series a kernel speaks (v14 or v15), decided from
 * what the kernel answered, and what each series asks of the VMM for
 * private and shared memory. Pure functions over plain data: no ioctl
 * here, so tests/vmm/test_vmm_cca.c checks every decision without KVM
 * (host/vmm/vmm.c gathers the answers and carries out the plans).
 *
 * The facts, per series (kvm_uapi.h names the numbers and their sources):
 *   v14 (cca-host/v14, RMM v2.0-bet1): KVM_CAP_ARM_RMI = 249; guest_memfd
 *     memslots are made private with the VM-fd KVM_SET_MEMORY_ATTRIBUTES,
 *     and a KVM_EXIT_MEMORY_FAULT (the guest's RIPAS change) is answered by
 *     setting the attribute the exit asks for.
 *   v15 (20260715142841.80544-1-<author>@arm.com, RMM v2.0-bet2, with
 *     guest_memfd in-place conversion v8 and the guest_memfd fix
 *     114e2488-97ed-4740-a8e8-1edd991f26c5@arm.com): KVM_CAP_ARM_RMI = 251,
 *     KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES = 250 must offer PRIVATE on the
 *     realm's VM fd (not on /dev/kvm alone). A guest_memfd created with
 *     flags 0 is private for its life; the shared alias of a slot is served
 *     from its userspace address; KVM_ARM_RMI_POPULATE copies from that
 *     address; the VM-fd attribute ioctl is not used. KVM commits a RIPAS
 *     change at the requesting REC's next entry, so a memory-fault exit
 *     only asks the VMM to clean up: to shared, punch the guest_memfd range
 *     (still private, so the kernel unmaps and undelegates before freeing);
 *     to private, drop the stale shared pages. Unbacked parts of the range
 *     need nothing. (microsoft/openvmm pull 4293 at 592d1ce59d9c: its v15
 *     plan, vmm_core/virt_kvm/src/memory.rs handle_cca_ripas_change and
 *     check_private_memory_extensions, vmm_core/virt_kvm/src/cca.rs.)
 *
 * Failure: every function returns 0, or -1 with a one-line message naming
 * what the kernel answered; the caller refuses the run (exit 2) or fails
 * it (a memory-fault exit it cannot follow).
 */
#ifndef VMM_CCA_H
#define VMM_CCA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vmm_cca_series { VMM_CCA_NONE, VMM_CCA_V14, VMM_CCA_V15 };

/* "v14", "v15" or "none". */
const char *vmm_cca_series_name(enum vmm_cca_series s);

/* What the kernel answered. Capability values are KVM_CHECK_EXTENSION's
 * (0: not offered). realm_vm_tried says whether KVM_CREATE_VM with the
 * realm type was attempted (it is when the caps do not settle v14). */
struct vmm_cca_answers {
	int rmi_v14;             /* /dev/kvm: KVM_CAP_ARM_RMI at 249 */
	int rmi_v15;             /* /dev/kvm: KVM_CAP_ARM_RMI at 251 */
	bool realm_vm_tried;
	bool realm_vm;           /* KVM_CREATE_VM(realm | IPA bits) succeeded */
	int realm_vm_errno;      /* its errno when it did not */
	unsigned ipa_bits;       /* the IPA width that was asked for */
	int gmem_attributes;     /* realm VM fd: KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES */
	int guest_memfd;         /* KVM_CAP_GUEST_MEMFD */
	int user_memory2;        /* KVM_CAP_USER_MEMORY2 */
};

/* The series this kernel speaks for realms, or -1 with err: no realms at
 * all, both capability numbers (a mix), realm VMs accepted under neither
 * number (an unknown series), or a series whose requirements are missing
 * (v15 without guest_memfd PRIVATE attributes on the VM, either without
 * guest_memfd). */
int vmm_cca_series_decide(const struct vmm_cca_answers *a, enum vmm_cca_series *out,
			  char *err, size_t len);

/* A --policy that follows one series on a kernel of the other: 0 when
 * they agree (or the policy names no series), -1 with err otherwise. */
int vmm_cca_policy_check(const char *policy, const char *policy_series,
			 enum vmm_cca_series kernel, char *err, size_t len);

/* One guest memory slot as the VMM registered it. */
struct vmm_cca_slot {
	uint64_t ipa, size;
};

/* What the VMM does for one KVM_EXIT_MEMORY_FAULT of a realm. */
enum vmm_cca_step_kind {
	VMM_CCA_SET_ATTRIBUTES,  /* v14: VM-fd KVM_SET_MEMORY_ATTRIBUTES [gpa, +len) */
	VMM_CCA_PUNCH_GMEM,      /* v15, to shared: fallocate(PUNCH_HOLE) of the slot's
				    guest_memfd at offset */
	VMM_CCA_DROP_SHARED,     /* v15, to private: MADV_DONTNEED of the slot's
				    userspace pages at offset */
};

struct vmm_cca_step {
	enum vmm_cca_step_kind kind;
	unsigned slot;           /* index into the slots given (v15 steps) */
	uint64_t gpa;            /* start of the step's IPA range */
	uint64_t offset;         /* into the slot (v15 steps) */
	uint64_t len;
	bool private;            /* the state the guest asked for */
};

#define VMM_CCA_MAX_STEPS 8

/* The steps for a memory-fault exit (flags, gpa, size as kvm_run has
 * them) under this series. v14: one SET_ATTRIBUTES step, as the VMM has
 * always done. v15: one step per slot the range meets; a range that is
 * not page-aligned, empty, wrapping, or flags other than
 * KVM_MEMORY_EXIT_FLAG_PRIVATE are refused. *n is the number of steps. */
int vmm_cca_memory_fault_plan(enum vmm_cca_series s, uint64_t flags, uint64_t gpa,
			      uint64_t size, const struct vmm_cca_slot *slots, size_t n_slots,
			      struct vmm_cca_step *steps, size_t *n, char *err, size_t len);

/* The meta.json `kvm_uapi` text for a run whose realms spoke this series
 * (VMM_CCA_NONE: no realm in the run). */
const char *vmm_cca_uapi_text(enum vmm_cca_series s);

#endif
