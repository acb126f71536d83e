/*
 * Functions shared between the files of host/kvm, not part of its API.
 */
#ifndef KVM_INTERNAL_H
#define KVM_INTERNAL_H

#include "kvm/kvm.h"

/* An exit as the host sees it, for realm (from the REC exit record) and
 * normal VMs (from the simulated stage-2 hardware) alike. */
struct vcpu_exit {
	unsigned reason;         /* RMI_EXIT_* */
	uint64_t esr;
	uint64_t far;
	uint64_t hpfar;
	uint64_t gpr0;           /* emulated MMIO write value / PSCI FID */
	uint64_t ripas_base, ripas_top, ripas_value;
};

#define PSCI_0_2_FN_CPU_OFF    0x84000002ULL
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008ULL

/* Normal VM: stage-2 tables, and the CPU that runs the guest on them. */
int kvm_normal_stage2_init(struct kvm *kvm, unsigned ia_bits);
void kvm_normal_stage2_destroy(struct kvm *kvm);
/* Fill the vCPU's stage-2 memcache for one fault (outside the lock). */
int kvm_normal_topup(struct kvm_vcpu *vcpu);
void kvm_normal_vcpu_release(struct kvm_vcpu *vcpu);
/* Run the guest until it needs the host; fills *ex. 0 or -errno. */
int kvm_normal_enter(struct kvm_vcpu *vcpu, struct vcpu_exit *ex);

/* Stage-2 abort: 1 to re-enter, < 0 on error. */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu, const struct vcpu_exit *ex);

/* A vCPU's memcache back to modeled DRAM (services.c). */
void kvm_memcache_free(struct kvm_vcpu *vcpu);

/* Fault records (fault_record.c). */
void kvm_fault_begin(struct kvm_vcpu *vcpu, uint64_t t_back);
/* Close the in-flight record once the entry that resumed the guest is back. */
void kvm_fault_finish(struct kvm_vcpu *vcpu, uint32_t calls_before_entry,
		      uint64_t weight_before_entry, uint64_t t_back);
void kvm_fault_discard(struct kvm_vcpu *vcpu);
void kvm_fault_set(struct kvm_vcpu *vcpu, enum fault_kind kind, uint64_t ipa, int level);

#endif
