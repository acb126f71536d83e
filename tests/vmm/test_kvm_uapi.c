/*
 * Pins the VMM's own KVM uAPI definitions (host/vmm/include/vmm/kvm_uapi.h)
 * to the documented layouts and ioctl numbers: every size and offset a
 * kernel reads, and every request code. The expected values are written
 * out as literals (from the public headers, the CCA host series v14
 * patch "arm64: RMI: Define the user ABI", and for v15 the sources named
 * in kvm_uapi.h); where this machine's
 * <linux/kvm.h> has the same definition it is cross-checked too.
 */
#include <stddef.h>
#include <linux/kvm.h>

#include "check.h"
#include "vmm/kvm_uapi.h"

static void test_layouts(void)
{
	CHECK_EQ(sizeof(struct rmeb_kvm_userspace_memory_region), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_userspace_memory_region, guest_phys_addr), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_userspace_memory_region, userspace_addr), 24);

	CHECK_EQ(sizeof(struct rmeb_kvm_userspace_memory_region2), 160);
	CHECK_EQ(offsetof(struct rmeb_kvm_userspace_memory_region2, guest_memfd_offset), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_userspace_memory_region2, guest_memfd), 40);
	CHECK_EQ(offsetof(struct rmeb_kvm_userspace_memory_region2, pad2), 48);

	CHECK_EQ(sizeof(struct rmeb_kvm_create_guest_memfd), 64);
	CHECK_EQ(sizeof(struct rmeb_kvm_memory_attributes), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_memory_attributes, attributes), 16);
	CHECK_EQ(sizeof(struct rmeb_kvm_enable_cap), 104);
	CHECK_EQ(sizeof(struct rmeb_kvm_one_reg), 16);
	CHECK_EQ(sizeof(struct rmeb_kvm_create_device), 12);
	CHECK_EQ(sizeof(struct rmeb_kvm_device_attr), 24);
	CHECK_EQ(offsetof(struct rmeb_kvm_device_attr, addr), 16);
	CHECK_EQ(sizeof(struct rmeb_kvm_vcpu_init), 32);

	/* kvm_run: the exit reason at 8, the exit union at 32. */
	CHECK_EQ(offsetof(struct rmeb_kvm_run, immediate_exit), 1);
	CHECK_EQ(offsetof(struct rmeb_kvm_run, exit_reason), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_run, u), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_mmio, data), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_mmio, len), 16);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_mmio, is_write), 20);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_system_event, data), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_memory_fault, gpa), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_run_memory_fault, size), 16);

	/* guest_memfd in-place v8 (v15's prerequisite): kvm_memory_attributes2. */
	CHECK_EQ(sizeof(struct rmeb_kvm_memory_attributes2), 128);
	CHECK_EQ(offsetof(struct rmeb_kvm_memory_attributes2, attributes), 16);
	CHECK_EQ(offsetof(struct rmeb_kvm_memory_attributes2, error_offset), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_memory_attributes2, reserved), 40);

	/* CCA v14 and v15: struct kvm_arm_rmi_populate, 32 bytes. */
	CHECK_EQ(sizeof(struct rmeb_kvm_arm_rmi_populate), 32);
	CHECK_EQ(offsetof(struct rmeb_kvm_arm_rmi_populate, size), 8);
	CHECK_EQ(offsetof(struct rmeb_kvm_arm_rmi_populate, source_uaddr), 16);
	CHECK_EQ(offsetof(struct rmeb_kvm_arm_rmi_populate, flags), 24);
	CHECK_EQ(offsetof(struct rmeb_kvm_arm_rmi_populate, reserved), 28);
}

static void test_ioctl_numbers(void)
{
	CHECK_EQ(RMEB_KVM_GET_API_VERSION, 0xae00);
	CHECK_EQ(RMEB_KVM_CREATE_VM, 0xae01);
	CHECK_EQ(RMEB_KVM_CHECK_EXTENSION, 0xae03);
	CHECK_EQ(RMEB_KVM_GET_VCPU_MMAP_SIZE, 0xae04);
	CHECK_EQ(RMEB_KVM_CREATE_VCPU, 0xae41);
	CHECK_EQ(RMEB_KVM_SET_USER_MEMORY_REGION, 0x4020ae46);
	CHECK_EQ(RMEB_KVM_SET_USER_MEMORY_REGION2, 0x40a0ae49);
	CHECK_EQ(RMEB_KVM_RUN, 0xae80);
	CHECK_EQ(RMEB_KVM_ENABLE_CAP, 0x4068aea3);
	CHECK_EQ(RMEB_KVM_GET_ONE_REG, 0x4010aeab);
	CHECK_EQ(RMEB_KVM_SET_ONE_REG, 0x4010aeac);
	CHECK_EQ(RMEB_KVM_ARM_VCPU_INIT, 0x4020aeae);
	CHECK_EQ(RMEB_KVM_ARM_PREFERRED_TARGET, 0x8020aeaf);
	CHECK_EQ(RMEB_KVM_SET_MEMORY_ATTRIBUTES, 0x4020aed2);
	CHECK_EQ(RMEB_KVM_CREATE_GUEST_MEMFD, 0xc040aed4);
	CHECK_EQ(RMEB_KVM_ARM_RMI_POPULATE, 0xc020aed7);
	CHECK_EQ(RMEB_KVM_CREATE_DEVICE, 0xc00caee0);
	CHECK_EQ(RMEB_KVM_SET_DEVICE_ATTR, 0x4018aee1);

	CHECK_EQ(RMEB_KVM_CAP_ARM_RMI_V14, 249);
	CHECK_EQ(RMEB_KVM_VM_TYPE_ARM_REALM, 0x40000000);

	/* CCA v15 on guest_memfd in-place conversion v8: the capabilities
	 * moved (250 taken by the gmem series, 251 the RMI one), the realm
	 * type and populate did not; KVM_SET_MEMORY_ATTRIBUTES2 is _IOWR with
	 * the 128-byte struct, so it differs from the VM-fd 0xd2 ioctl. */
	CHECK_EQ(RMEB_KVM_CAP_ARM_RMI_V15, 251);
	CHECK_EQ(RMEB_KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES, 250);
	CHECK_EQ(RMEB_KVM_SET_MEMORY_ATTRIBUTES2, 0xc080aed2);
	CHECK(RMEB_KVM_SET_MEMORY_ATTRIBUTES2 != RMEB_KVM_SET_MEMORY_ATTRIBUTES);
	CHECK_EQ(RMEB_KVM_MEMORY_EXIT_FLAG_PRIVATE, 8);
	CHECK_EQ(RMEB_KVM_EXIT_MEMORY_FAULT, 39);
	CHECK_EQ(RMEB_KVM_ARM_RMI_POPULATE_FLAGS_MEASURE, 1);

	/* arm64 core registers: PC is word 64 of struct kvm_regs. */
	CHECK_EQ(RMEB_ARM64_REG_X(0), 0x6030000000100000ULL);
	CHECK_EQ(RMEB_ARM64_REG_PC, 0x6030000000100040ULL);
	CHECK_EQ(RMEB_ARM64_REG_PSTATE, 0x6030000000100042ULL);
}

/* The same facts from this machine's kernel headers, where they exist. */
static void test_against_system_headers(void)
{
	CHECK_EQ(sizeof(struct rmeb_kvm_userspace_memory_region),
		 sizeof(struct kvm_userspace_memory_region));
	CHECK_EQ(RMEB_KVM_SET_USER_MEMORY_REGION, KVM_SET_USER_MEMORY_REGION);
	CHECK_EQ(RMEB_KVM_RUN, KVM_RUN);
	CHECK_EQ(RMEB_KVM_CREATE_VM, KVM_CREATE_VM);
	CHECK_EQ(RMEB_KVM_ENABLE_CAP, KVM_ENABLE_CAP);
	CHECK_EQ(sizeof(struct rmeb_kvm_enable_cap), sizeof(struct kvm_enable_cap));
	CHECK_EQ(RMEB_KVM_SET_ONE_REG, KVM_SET_ONE_REG);
	CHECK_EQ(RMEB_KVM_CREATE_DEVICE, KVM_CREATE_DEVICE);
	CHECK_EQ(RMEB_KVM_SET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR);
	CHECK_EQ(offsetof(struct rmeb_kvm_run, exit_reason), offsetof(struct kvm_run, exit_reason));
	CHECK_EQ(offsetof(struct rmeb_kvm_run, u.mmio), offsetof(struct kvm_run, mmio));
	CHECK_EQ(offsetof(struct rmeb_kvm_run, u.mmio.len), offsetof(struct kvm_run, mmio.len));
	CHECK_EQ(offsetof(struct rmeb_kvm_run, u.system_event.type),
		 offsetof(struct kvm_run, system_event.type));
	CHECK_EQ(RMEB_KVM_EXIT_MMIO, KVM_EXIT_MMIO);
	CHECK_EQ(RMEB_KVM_EXIT_SYSTEM_EVENT, KVM_EXIT_SYSTEM_EVENT);
	CHECK_EQ(RMEB_KVM_EXIT_INTR, KVM_EXIT_INTR);
	CHECK_EQ(RMEB_KVM_EXIT_FAIL_ENTRY, KVM_EXIT_FAIL_ENTRY);
	CHECK_EQ(RMEB_KVM_SYSTEM_EVENT_SHUTDOWN, KVM_SYSTEM_EVENT_SHUTDOWN);
	CHECK_EQ(RMEB_KVM_CAP_ARM_PSCI_0_2, KVM_CAP_ARM_PSCI_0_2);
	CHECK_EQ(RMEB_KVM_CAP_ARM_VM_IPA_SIZE, KVM_CAP_ARM_VM_IPA_SIZE);
	CHECK_EQ(RMEB_KVM_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_TYPE_ARM_VGIC_V3);
#ifdef KVM_SET_USER_MEMORY_REGION2
	CHECK_EQ(RMEB_KVM_SET_USER_MEMORY_REGION2, KVM_SET_USER_MEMORY_REGION2);
	CHECK_EQ(sizeof(struct rmeb_kvm_userspace_memory_region2),
		 sizeof(struct kvm_userspace_memory_region2));
#endif
#ifdef KVM_CREATE_GUEST_MEMFD
	CHECK_EQ(RMEB_KVM_CREATE_GUEST_MEMFD, KVM_CREATE_GUEST_MEMFD);
	CHECK_EQ(RMEB_KVM_SET_MEMORY_ATTRIBUTES, KVM_SET_MEMORY_ATTRIBUTES);
	CHECK_EQ(RMEB_KVM_CAP_GUEST_MEMFD, KVM_CAP_GUEST_MEMFD);
	CHECK_EQ(RMEB_KVM_CAP_MEMORY_ATTRIBUTES, KVM_CAP_MEMORY_ATTRIBUTES);
	CHECK_EQ(RMEB_KVM_MEM_GUEST_MEMFD, KVM_MEM_GUEST_MEMFD);
	CHECK_EQ(RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	CHECK_EQ(RMEB_KVM_EXIT_MEMORY_FAULT, KVM_EXIT_MEMORY_FAULT);
#endif
}

int main(void)
{
	test_layouts();
	test_ioctl_numbers();
	test_against_system_headers();
	return check_status("test_kvm_uapi");
}
