/*
 * The CCA host series decisions (host/vmm/cca.c) without KVM: which series
 * a kernel's answers mean, every refusal and what it names, a --policy of
 * the other series, and the memory-fault exit of each series (v14: the
 * VM-fd attribute flip; v15: cleanup of the side the guest gave up, per
 * slot, with bad exits refused). The kernels' answers are written out as
 * the sources give them (kvm_uapi.h, vmm/cca.h).
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "vmm/cca.h"
#include "vmm/kvm_uapi.h"

#define PRIVATE RMEB_KVM_MEMORY_EXIT_FLAG_PRIVATE

/* A v14 kernel: 249 answers; no realm VM is probed for it. */
static struct vmm_cca_answers v14_kernel(void)
{
	return (struct vmm_cca_answers){ .rmi_v14 = 1, .guest_memfd = 1, .user_memory2 = 1,
					 .ipa_bits = 40 };
}

/* A v15 kernel booted with gmem_in_place_conversion: 251 answers, the
 * realm VM offers PRIVATE guest_memfd attributes. */
static struct vmm_cca_answers v15_kernel(void)
{
	return (struct vmm_cca_answers){ .rmi_v15 = 1, .realm_vm_tried = true, .realm_vm = true,
					 .gmem_attributes = (int)RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE,
					 .guest_memfd = 1, .user_memory2 = 1, .ipa_bits = 40 };
}

static int decide(struct vmm_cca_answers a, enum vmm_cca_series *s, char *err)
{
	return vmm_cca_series_decide(&a, s, err, 512);
}

static void test_series(void)
{
	enum vmm_cca_series s = VMM_CCA_V15;
	char err[512] = "";

	CHECK_EQ(decide(v14_kernel(), &s, err), 0);
	CHECK_EQ(s, VMM_CCA_V14);
	CHECK(!strcmp(vmm_cca_series_name(s), "v14"));
	CHECK_EQ(decide(v15_kernel(), &s, err), 0);
	CHECK_EQ(s, VMM_CCA_V15);
	CHECK(!strcmp(vmm_cca_series_name(s), "v15"));
	CHECK(!strcmp(vmm_cca_series_name(VMM_CCA_NONE), "none"));
}

static void test_refusals(void)
{
	enum vmm_cca_series s;
	char err[512];
	struct vmm_cca_answers a;

	/* No realms: a stock kernel refuses the realm type. */
	a = (struct vmm_cca_answers){ .realm_vm_tried = true, .realm_vm_errno = EINVAL,
				      .guest_memfd = 1, .user_memory2 = 1 };
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_EQ(s, VMM_CCA_NONE);
	CHECK_CONTAINS(err, "offers no Arm CCA realms");
	CHECK_CONTAINS(err, "249");
	CHECK_CONTAINS(err, "251");

	/* Realm VMs accepted under neither number: an unknown series. */
	a.realm_vm = true;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "accepts realm VMs");
	CHECK_CONTAINS(err, "unknown CCA host series");

	/* Both numbers: a mix. */
	a = v15_kernel();
	a.rmi_v14 = 1;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_EQ(s, VMM_CCA_NONE);
	CHECK_CONTAINS(err, "both 249");
	CHECK_CONTAINS(err, "251");

	/* v15 on a host without in-place conversion: the message. */
	a = v15_kernel();
	a.gmem_attributes = 0;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "KVM_CAP_ARM_RMI = 251 (v15) but guest_memfd private attributes "
			    "not offered on this VM");
	CHECK_CONTAINS(err, "gmem_in_place_conversion=0?");
	/* An attribute mask without PRIVATE is no better. */
	a.gmem_attributes = 1 << 2;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "= 4;");

	/* v15 whose realm VM could not be made (IPA width). */
	a = v15_kernel();
	a.realm_vm = false;
	a.realm_vm_errno = EINVAL;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "40-bit IPA");
	CHECK_CONTAINS(err, "Invalid argument");
	a.realm_vm_tried = false;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "no realm VM was probed");

	/* Either series without guest_memfd. */
	a = v14_kernel();
	a.guest_memfd = 0;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "KVM_CAP_ARM_RMI = 249 (v14) but no guest_memfd");
	a = v15_kernel();
	a.user_memory2 = 0;
	CHECK_EQ(decide(a, &s, err), -1);
	CHECK_CONTAINS(err, "KVM_CAP_ARM_RMI = 251 (v15) but no guest_memfd");
	CHECK_CONTAINS(err, "KVM_CAP_USER_MEMORY2 = 0");
}

static void test_policy(void)
{
	char err[512] = "";

	CHECK_EQ(vmm_cca_policy_check("cca-v14", "v14", VMM_CCA_V14, err, sizeof(err)), 0);
	CHECK_EQ(vmm_cca_policy_check("cca-v15", "v15", VMM_CCA_V15, err, sizeof(err)), 0);
	CHECK_EQ(vmm_cca_policy_check("normal", NULL, VMM_CCA_V15, err, sizeof(err)), 0);
	CHECK_EQ(vmm_cca_policy_check("cca-v14", "v14", VMM_CCA_NONE, err, sizeof(err)), 0);
	CHECK_EQ(vmm_cca_policy_check("cca-v14", "v14", VMM_CCA_V15, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "--policy cca-v14 follows CCA host series v14");
	CHECK_CONTAINS(err, "speaks v15 (KVM_CAP_ARM_RMI = 251)");
	CHECK_CONTAINS(err, "cca-v15");
	CHECK_EQ(vmm_cca_policy_check("cca-rmm2", "v14", VMM_CCA_V15, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "--policy cca-rmm2");
	CHECK_EQ(vmm_cca_policy_check("cca-v15", "v15", VMM_CCA_V14, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "speaks v14 (KVM_CAP_ARM_RMI = 249)");
}

/* The VMM's three slots: boot, data, results. */
static const struct vmm_cca_slot slots[] = {
	{ 0x40000000, 32ULL << 20 }, { 0x80000000, 4ULL << 20 }, { 0x80400000, 2ULL << 20 },
};
#define N_SLOTS (sizeof(slots) / sizeof(slots[0]))

static int plan(enum vmm_cca_series s, uint64_t flags, uint64_t gpa, uint64_t size,
		struct vmm_cca_step *st, size_t *n, char *err)
{
	return vmm_cca_memory_fault_plan(s, flags, gpa, size, slots, N_SLOTS, st, n, err, 512);
}

static void test_memory_fault_v14(void)
{
	struct vmm_cca_step st[VMM_CCA_MAX_STEPS];
	size_t n = 99;
	char err[512];

	/* v14: the attribute the exit asks for, over the exit's range. */
	CHECK_EQ(plan(VMM_CCA_V14, PRIVATE, 0x80001000, 0x1000, st, &n, err), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(st[0].kind, VMM_CCA_SET_ATTRIBUTES);
	CHECK_EQ(st[0].gpa, 0x80001000);
	CHECK_EQ(st[0].len, 0x1000);
	CHECK(st[0].private);
	CHECK_EQ(plan(VMM_CCA_V14, 0, 0x80400000, 0x200000, st, &n, err), 0);
	CHECK_EQ(n, 1);
	CHECK(!st[0].private);
}

static void test_memory_fault_v15(void)
{
	struct vmm_cca_step st[VMM_CCA_MAX_STEPS];
	size_t n = 99;
	char err[512];

	/* To shared: punch the data slot's guest_memfd at the page. */
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x80003000, 0x2000, st, &n, err), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(st[0].kind, VMM_CCA_PUNCH_GMEM);
	CHECK_EQ(st[0].slot, 1);
	CHECK_EQ(st[0].offset, 0x3000);
	CHECK_EQ(st[0].len, 0x2000);
	CHECK(!st[0].private);

	/* To private: drop the stale shared pages of the results slot. */
	CHECK_EQ(plan(VMM_CCA_V15, PRIVATE, 0x80400000, 0x1000, st, &n, err), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(st[0].kind, VMM_CCA_DROP_SHARED);
	CHECK_EQ(st[0].slot, 2);
	CHECK_EQ(st[0].offset, 0);
	CHECK(st[0].private);

	/* A range over two adjacent slots: one step each, split at the seam. */
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x803ff000, 0x2000, st, &n, err), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(st[0].slot, 1);
	CHECK_EQ(st[0].offset, 0x3ff000);
	CHECK_EQ(st[0].len, 0x1000);
	CHECK_EQ(st[1].slot, 2);
	CHECK_EQ(st[1].gpa, 0x80400000);
	CHECK_EQ(st[1].offset, 0);
	CHECK_EQ(st[1].len, 0x1000);

	/* A range no slot backs (RIPAS of a hole): nothing to clean up. */
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x10000000, 0x1000, st, &n, err), 0);
	CHECK_EQ(n, 0);
	/* Part backed, part not: only the backed part. */
	CHECK_EQ(plan(VMM_CCA_V15, PRIVATE, 0x80600000 - 0x1000, 0x3000, st, &n, err), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(st[0].len, 0x1000);
}

static void test_memory_fault_refusals(void)
{
	struct vmm_cca_step st[VMM_CCA_MAX_STEPS];
	size_t n = 99;
	char err[512];

	CHECK_EQ(plan(VMM_CCA_V15, PRIVATE | 1, 0x80000000, 0x1000, st, &n, err), -1);
	CHECK_EQ(n, 0);
	CHECK_CONTAINS(err, "flags 0x9");
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x80000800, 0x1000, st, &n, err), -1);
	CHECK_CONTAINS(err, "4 KiB granules");
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x80000000, 0x800, st, &n, err), -1);
	CHECK_EQ(plan(VMM_CCA_V15, 0, 0x80000000, 0, st, &n, err), -1);
	CHECK_EQ(plan(VMM_CCA_V15, 0, ~0xfffULL, 0x2000, st, &n, err), -1);
	CHECK_EQ(plan(VMM_CCA_NONE, 0, 0x80000000, 0x1000, st, &n, err), -1);
	CHECK_CONTAINS(err, "without a CCA series");
}

static void test_uapi_text(void)
{
	CHECK_CONTAINS(vmm_cca_uapi_text(VMM_CCA_V14), "series v14 (KVM_CAP_ARM_RMI=249");
	CHECK_CONTAINS(vmm_cca_uapi_text(VMM_CCA_V15), "series v15 (KVM_CAP_ARM_RMI=251");
	CHECK_CONTAINS(vmm_cca_uapi_text(VMM_CCA_V15), "RMM v2.0-bet2");
	CHECK_CONTAINS(vmm_cca_uapi_text(VMM_CCA_NONE), "no realm");
}

int main(void)
{
	test_series();
	test_refusals();
	test_policy();
	test_memory_fault_v14();
	test_memory_fault_v15();
	test_memory_fault_refusals();
	test_uapi_text();
	return check_status("test_vmm_cca");
}
