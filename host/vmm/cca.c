/*
 * The CCA host series decisions of the VMM (contract in vmm/cca.h): which
 * series a kernel speaks, whether a --policy fits it, and the steps of a
 * realm's memory-fault exit under each series. No system calls here.
 */
#include <string.h>

#include "errf.h"
#include "vmm/cca.h"
#include "vmm/kvm_uapi.h"

/* The granule the series map and convert in; the VMM runs 4 KiB pages. */
#define CCA_GRANULE 4096ULL

const char *vmm_cca_series_name(enum vmm_cca_series s)
{
	return s == VMM_CCA_V14 ? "v14" : s == VMM_CCA_V15 ? "v15" : "none";
}

static int rmi_cap_of(enum vmm_cca_series s)
{
	return s == VMM_CCA_V15 ? RMEB_KVM_CAP_ARM_RMI_V15 : RMEB_KVM_CAP_ARM_RMI_V14;
}

/* Neither capability number answered: no realms, or realms under a
 * number this VMM does not know. */
static int refuse_no_series(const struct vmm_cca_answers *a, char *err, size_t len)
{
	if (a->realm_vm_tried && a->realm_vm)
		return errf(err, len, "--vm realm: this kernel accepts realm VMs "
			    "(KVM_VM_TYPE_ARM_REALM) but answers KVM_CAP_ARM_RMI at neither %d "
			    "(series v14) nor %d (v15): an unknown CCA host series; see "
			    "docs/real-backend.md", RMEB_KVM_CAP_ARM_RMI_V14,
			    RMEB_KVM_CAP_ARM_RMI_V15);
	return errf(err, len, "--vm realm: this kernel offers no Arm CCA realms "
		    "(KVM_CAP_ARM_RMI is neither %d, CCA host series v14, nor %d, v15): a "
		    "kernel without the series, or an RMM it could not use (its log says "
		    "which: \"Unsupported RMI ABI\", \"RMM config set failed\"); run --vm "
		    "normal, or see docs/real-backend.md", RMEB_KVM_CAP_ARM_RMI_V14,
		    RMEB_KVM_CAP_ARM_RMI_V15);
}

/* v15's own requirements: a realm VM, and guest_memfd attributes that
 * offer PRIVATE on it (KVM_ARM_RMI_POPULATE reads them). */
static int check_v15(const struct vmm_cca_answers *a, char *err, size_t len)
{
	if (!a->realm_vm_tried)
		return errf(err, len, "--vm realm: KVM_CAP_ARM_RMI = %d (v15) but no realm VM "
			    "was probed for its guest_memfd attributes", RMEB_KVM_CAP_ARM_RMI_V15);
	if (!a->realm_vm)
		return errf(err, len, "--vm realm: KVM_CAP_ARM_RMI = %d (v15) but KVM_CREATE_VM "
			    "of a realm with a %u-bit IPA space failed: %s (the RMM's S2SZ may "
			    "allow fewer bits)", RMEB_KVM_CAP_ARM_RMI_V15, a->ipa_bits,
			    strerror(a->realm_vm_errno));
	if (a->gmem_attributes < 0 ||
	    !((uint64_t)a->gmem_attributes & RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return errf(err, len, "--vm realm: KVM_CAP_ARM_RMI = %d (v15) but guest_memfd "
			    "private attributes not offered on this VM "
			    "(KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES = %d; host booted with "
			    "gmem_in_place_conversion=0?)", RMEB_KVM_CAP_ARM_RMI_V15,
			    a->gmem_attributes);
	return 0;
}

int vmm_cca_series_decide(const struct vmm_cca_answers *a, enum vmm_cca_series *out,
			  char *err, size_t len)
{
	*out = VMM_CCA_NONE;
	if (a->rmi_v14 > 0 && a->rmi_v15 > 0)
		return errf(err, len, "--vm realm: this kernel answers KVM_CAP_ARM_RMI at both "
			    "%d (series v14) and %d (v15): a mix of two CCA host series, which "
			    "rme-bench cannot drive", RMEB_KVM_CAP_ARM_RMI_V14,
			    RMEB_KVM_CAP_ARM_RMI_V15);
	if (a->rmi_v14 <= 0 && a->rmi_v15 <= 0)
		return refuse_no_series(a, err, len);
	enum vmm_cca_series s = a->rmi_v15 > 0 ? VMM_CCA_V15 : VMM_CCA_V14;
	if (a->guest_memfd <= 0 || a->user_memory2 <= 0)
		return errf(err, len, "--vm realm: KVM_CAP_ARM_RMI = %d (%s) but no guest_memfd "
			    "(KVM_CAP_GUEST_MEMFD = %d, KVM_CAP_USER_MEMORY2 = %d)", rmi_cap_of(s),
			    vmm_cca_series_name(s), a->guest_memfd, a->user_memory2);
	if (s == VMM_CCA_V15 && check_v15(a, err, len))
		return -1;
	*out = s;
	return 0;
}

int vmm_cca_policy_check(const char *policy, const char *policy_series,
			 enum vmm_cca_series kernel, char *err, size_t len)
{
	if (!policy_series || kernel == VMM_CCA_NONE ||
	    !strcmp(policy_series, vmm_cca_series_name(kernel)))
		return 0;
	return errf(err, len, "--policy %s follows CCA host series %s; this kernel speaks %s "
		    "(KVM_CAP_ARM_RMI = %d): use --policy cca-%s, or omit --policy", policy,
		    policy_series, vmm_cca_series_name(kernel), rmi_cap_of(kernel),
		    vmm_cca_series_name(kernel));
}

static int v15_check_exit(uint64_t flags, uint64_t gpa, uint64_t size, char *err, size_t len)
{
	if (flags & ~RMEB_KVM_MEMORY_EXIT_FLAG_PRIVATE)
		return errf(err, len, "memory-fault exit at 0x%llx with flags 0x%llx: only "
			    "KVM_MEMORY_EXIT_FLAG_PRIVATE is a RIPAS change (series v15)",
			    (unsigned long long)gpa, (unsigned long long)flags);
	if (!size || gpa % CCA_GRANULE || size % CCA_GRANULE || gpa + size < gpa)
		return errf(err, len, "memory-fault exit [0x%llx, +0x%llx): not a whole number "
			    "of 4 KiB granules (series v15)", (unsigned long long)gpa,
			    (unsigned long long)size);
	return 0;
}

/* v15: one cleanup step per slot the range meets; parts of the range no
 * slot backs need none (a guest may change the RIPAS of any IPA). */
static int v15_steps(bool private, uint64_t gpa, uint64_t size, const struct vmm_cca_slot *slots,
		     size_t n_slots, struct vmm_cca_step *steps, size_t *n, char *err,
		     size_t len)
{
	uint64_t end = gpa + size;

	for (size_t i = 0; i < n_slots; i++) {
		uint64_t lo = gpa > slots[i].ipa ? gpa : slots[i].ipa;
		uint64_t hi = end < slots[i].ipa + slots[i].size ? end
								 : slots[i].ipa + slots[i].size;
		if (lo >= hi)
			continue;
		if (*n == VMM_CCA_MAX_STEPS)
			return errf(err, len, "memory-fault exit [0x%llx, +0x%llx) meets more than "
				    "%d slots", (unsigned long long)gpa,
				    (unsigned long long)size, VMM_CCA_MAX_STEPS);
		steps[(*n)++] = (struct vmm_cca_step){
			.kind = private ? VMM_CCA_DROP_SHARED : VMM_CCA_PUNCH_GMEM,
			.slot = (unsigned)i, .gpa = lo, .offset = lo - slots[i].ipa,
			.len = hi - lo, .private = private,
		};
	}
	return 0;
}

int vmm_cca_memory_fault_plan(enum vmm_cca_series s, uint64_t flags, uint64_t gpa,
			      uint64_t size, const struct vmm_cca_slot *slots, size_t n_slots,
			      struct vmm_cca_step *steps, size_t *n, char *err, size_t len)
{
	bool private = flags & RMEB_KVM_MEMORY_EXIT_FLAG_PRIVATE;

	*n = 0;
	if (s == VMM_CCA_V14) {
		steps[(*n)++] = (struct vmm_cca_step){ .kind = VMM_CCA_SET_ATTRIBUTES, .gpa = gpa,
						       .len = size, .private = private };
		return 0;
	}
	if (s != VMM_CCA_V15)
		return errf(err, len, "memory-fault exit at 0x%llx in a VM without a CCA series",
			    (unsigned long long)gpa);
	if (v15_check_exit(flags, gpa, size, err, len))
		return -1;
	return v15_steps(private, gpa, size, slots, n_slots, steps, n, err, len);
}

const char *vmm_cca_uapi_text(enum vmm_cca_series s)
{
	if (s == VMM_CCA_V14)
		return "Linux KVM arm64; realms: Arm CCA host series v14 (KVM_CAP_ARM_RMI=249, "
		       "KVM_VM_TYPE_ARM_REALM=1<<30, KVM_ARM_RMI_POPULATE, guest_memfd made "
		       "private with KVM_SET_MEMORY_ATTRIBUTES), RMM v2.0-bet1";
	if (s == VMM_CCA_V15)
		return "Linux KVM arm64; realms: Arm CCA host series v15 (KVM_CAP_ARM_RMI=251, "
		       "KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES=250 offering PRIVATE, "
		       "KVM_VM_TYPE_ARM_REALM=1<<30, KVM_ARM_RMI_POPULATE from the slot's "
		       "userspace address, guest_memfd private for life, RIPAS changes committed "
		       "by KVM at the next REC entry), RMM v2.0-bet2";
	return "Linux KVM arm64; no realm in this run (the CCA host series was not probed)";
}
