/*
 * The KVM user API as the VMM uses it, defined here from the public
 * headers' documented facts (numbers and layouts), so that the VMM builds
 * on any host and against any installed kernel headers, including ones
 * that predate guest_memfd or the arm64 CCA series. Names carry an RMEB_
 * prefix so this header never collides with <linux/kvm.h>.
 *
 * Three groups:
 *   - generic KVM (linux/kvm.h): system/VM/vCPU ioctls, kvm_run, memslots,
 *     guest_memfd and memory attributes (Linux 6.8+);
 *   - arm64 KVM (arch/arm64/include/uapi/asm/kvm.h): vCPU init features,
 *     core register ids, the vGICv3 device;
 *   - Arm CCA host series v14 (posted 2026-05-13 for RMM v2.0-bet1, branch
 *     cca-host/v14; not merged upstream): KVM_CAP_ARM_RMI = 249, the realm
 *     machine type bit 30, KVM_ARM_RMI_POPULATE = _IOWR(KVMIO, 0xd7).
 *     v14 has no realm-config/create/activate CAP sub-commands (dropped in
 *     v12: the realm is created on the first populate and activated on the
 *     first KVM_RUN), no REC vCPU feature and no PSCI-complete ioctl.
 *   - Arm CCA host series v15 (posted 2026-07-15 for RMM v2.0-bet2, based on
 *     v7.2-rc1, message-id 20260715142841.80544-1-<author>@arm.com; on
 *     top of the guest_memfd in-place conversion v8 series
 *     20260618-gmem-inplace-conversion-v8-0-9d2959357853@google.com):
 *     KVM_CAP_ARM_RMI moved to 251 because the gmem series took 250 for
 *     KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES (and v7.2 took 249 for
 *     KVM_CAP_S390_HPAGE_2G). The realm type bit and KVM_ARM_RMI_POPULATE
 *     are unchanged. Sources: gmem v8 patch 17/46 "KVM: guest_memfd:
 *     Advertise KVM_SET_MEMORY_ATTRIBUTES2 ioctl" (quoted in full in the
 *     reply CA+EHjTzZ0GO9fspPaTzruj8331+ShEZmg2PF2AczcwJ94VvgvQ@mail.gmail.com);
 *     microsoft/openvmm pull 4293 (592d1ce59d9c) vm/kvm/src/lib.rs, whose
 *     v15 port passes its FVP smoke test on cca-host/v15 d6d40e6a3103.
 *
 * tests/vmm/test_kvm_uapi.c pins every size, offset and ioctl number.
 */
#ifndef VMM_KVM_UAPI_H
#define VMM_KVM_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

#define RMEB_KVMIO 0xAE

/* ---- generic ---- */

struct rmeb_kvm_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
};

struct rmeb_kvm_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

struct rmeb_kvm_create_guest_memfd {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};

struct rmeb_kvm_memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

struct rmeb_kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};

struct rmeb_kvm_one_reg {
	uint64_t id;
	uint64_t addr;
};

struct rmeb_kvm_create_device {
	uint32_t type;
	uint32_t fd;
	uint32_t flags;
};

struct rmeb_kvm_device_attr {
	uint32_t flags;
	uint32_t group;
	uint64_t attr;
	uint64_t addr;
};

/*
 * The head of struct kvm_run (the mmap'd per-vCPU page) and the exit
 * payloads the VMM reads. The union starts at byte 32 on every
 * architecture; only the members used here are spelled out.
 */
struct rmeb_kvm_run_mmio {
	uint64_t phys_addr;
	uint8_t data[8];
	uint32_t len;
	uint8_t is_write;
};

struct rmeb_kvm_run_system_event {
	uint32_t type;
	uint32_t ndata;
	uint64_t data[16];
};

struct rmeb_kvm_run_memory_fault {
	uint64_t flags;
	uint64_t gpa;
	uint64_t size;
};

struct rmeb_kvm_run {
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct rmeb_kvm_run_mmio mmio;
		struct rmeb_kvm_run_system_event system_event;
		struct rmeb_kvm_run_memory_fault memory_fault;
		struct { uint64_t hardware_entry_failure_reason; uint32_t cpu; } fail_entry;
		struct { uint32_t suberror; uint32_t ndata; uint64_t data[16]; } internal;
		char padding[256];
	} u;
};

#define RMEB_KVM_GET_API_VERSION      _IO(RMEB_KVMIO, 0x00)
#define RMEB_KVM_CREATE_VM            _IO(RMEB_KVMIO, 0x01)
#define RMEB_KVM_CHECK_EXTENSION      _IO(RMEB_KVMIO, 0x03)
#define RMEB_KVM_GET_VCPU_MMAP_SIZE   _IO(RMEB_KVMIO, 0x04)
#define RMEB_KVM_CREATE_VCPU          _IO(RMEB_KVMIO, 0x41)
#define RMEB_KVM_SET_USER_MEMORY_REGION \
	_IOW(RMEB_KVMIO, 0x46, struct rmeb_kvm_userspace_memory_region)
#define RMEB_KVM_SET_USER_MEMORY_REGION2 \
	_IOW(RMEB_KVMIO, 0x49, struct rmeb_kvm_userspace_memory_region2)
#define RMEB_KVM_RUN                  _IO(RMEB_KVMIO, 0x80)
#define RMEB_KVM_ENABLE_CAP           _IOW(RMEB_KVMIO, 0xa3, struct rmeb_kvm_enable_cap)
#define RMEB_KVM_GET_ONE_REG          _IOW(RMEB_KVMIO, 0xab, struct rmeb_kvm_one_reg)
#define RMEB_KVM_SET_ONE_REG          _IOW(RMEB_KVMIO, 0xac, struct rmeb_kvm_one_reg)
#define RMEB_KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(RMEB_KVMIO, 0xd2, struct rmeb_kvm_memory_attributes)
#define RMEB_KVM_CREATE_GUEST_MEMFD   _IOWR(RMEB_KVMIO, 0xd4, struct rmeb_kvm_create_guest_memfd)
#define RMEB_KVM_CREATE_DEVICE        _IOWR(RMEB_KVMIO, 0xe0, struct rmeb_kvm_create_device)
#define RMEB_KVM_SET_DEVICE_ATTR      _IOW(RMEB_KVMIO, 0xe1, struct rmeb_kvm_device_attr)

#define RMEB_KVM_API_VERSION          12

#define RMEB_KVM_CAP_USER_MEMORY      3
#define RMEB_KVM_CAP_NR_VCPUS         9
#define RMEB_KVM_CAP_MAX_VCPUS        66
#define RMEB_KVM_CAP_ARM_PSCI_0_2     102
#define RMEB_KVM_CAP_ARM_VM_IPA_SIZE  165
#define RMEB_KVM_CAP_USER_MEMORY2     231
#define RMEB_KVM_CAP_MEMORY_ATTRIBUTES 233
#define RMEB_KVM_CAP_GUEST_MEMFD      234

#define RMEB_KVM_EXIT_UNKNOWN         0
#define RMEB_KVM_EXIT_MMIO            6
#define RMEB_KVM_EXIT_FAIL_ENTRY      9
#define RMEB_KVM_EXIT_INTR            10
#define RMEB_KVM_EXIT_INTERNAL_ERROR  17
#define RMEB_KVM_EXIT_SYSTEM_EVENT    24
#define RMEB_KVM_EXIT_ARM_NISV        28
#define RMEB_KVM_EXIT_MEMORY_FAULT    39

#define RMEB_KVM_SYSTEM_EVENT_SHUTDOWN 1
#define RMEB_KVM_SYSTEM_EVENT_RESET    2
#define RMEB_KVM_SYSTEM_EVENT_CRASH    3

#define RMEB_KVM_MEM_GUEST_MEMFD          (1u << 2)
#define RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#define RMEB_KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)

/* ---- arm64 ---- */

struct rmeb_kvm_vcpu_init {
	uint32_t target;
	uint32_t features[7];
};

#define RMEB_KVM_ARM_VCPU_INIT        _IOW(RMEB_KVMIO, 0xae, struct rmeb_kvm_vcpu_init)
#define RMEB_KVM_ARM_PREFERRED_TARGET _IOR(RMEB_KVMIO, 0xaf, struct rmeb_kvm_vcpu_init)

#define RMEB_KVM_ARM_VCPU_POWER_OFF   0   /* feature bits (features[0]) */
#define RMEB_KVM_ARM_VCPU_PSCI_0_2    2

#define RMEB_KVM_VM_TYPE_ARM_IPA_SIZE_MASK 0xffULL

/* Core registers: KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
 * (offset into struct kvm_regs / 4). struct kvm_regs begins with
 * user_pt_regs { regs[31], sp, pc, pstate }. */
#define RMEB_KVM_REG_ARM64            0x6000000000000000ULL
#define RMEB_KVM_REG_SIZE_U64         0x0030000000000000ULL
#define RMEB_KVM_REG_ARM_CORE         (0x0010ULL << 16)
#define RMEB_ARM64_CORE_REG(byte_off) \
	(RMEB_KVM_REG_ARM64 | RMEB_KVM_REG_SIZE_U64 | RMEB_KVM_REG_ARM_CORE | ((byte_off) / 4))
#define RMEB_ARM64_REG_X(n)           RMEB_ARM64_CORE_REG(8ULL * (n))
#define RMEB_ARM64_REG_PC             RMEB_ARM64_CORE_REG(8ULL * 32)
#define RMEB_ARM64_REG_PSTATE         RMEB_ARM64_CORE_REG(8ULL * 33)
#define RMEB_ARM64_PSTATE_EL1H_MASKED 0x3c5ULL  /* EL1h, D A I F masked */

#define RMEB_KVM_DEV_TYPE_ARM_VGIC_V3     7
#define RMEB_KVM_DEV_ARM_VGIC_GRP_ADDR    0
#define RMEB_KVM_DEV_ARM_VGIC_GRP_CTRL    4
#define RMEB_KVM_VGIC_V3_ADDR_TYPE_DIST   2
#define RMEB_KVM_VGIC_V3_ADDR_TYPE_REDIST 3
#define RMEB_KVM_DEV_ARM_VGIC_CTRL_INIT   0

/* ---- Arm CCA host series v14 and v15 ---- */

/* The series is told apart by where KVM_CAP_ARM_RMI answers (host/vmm
 * cca.h). A v15 kernel answers nothing at 249 on arm64 (it is
 * KVM_CAP_S390_HPAGE_2G there); a v14 kernel has no 250 or 251. */
#define RMEB_KVM_CAP_ARM_RMI_V14      249
#define RMEB_KVM_CAP_ARM_RMI_V15      251
#define RMEB_KVM_VM_TYPE_ARM_REALM    (1ULL << 30)

/* guest_memfd in-place conversion v8 (a v15 prerequisite): asked on a VM
 * fd, the attributes KVM_SET_MEMORY_ATTRIBUTES2 accepts on that VM's
 * guest_memfds; KVM_MEMORY_ATTRIBUTE_PRIVATE only when the host runs with
 * gmem_in_place_conversion (then the VM-fd KVM_CAP_MEMORY_ATTRIBUTES
 * answers 0). A v15 realm needs it: KVM_ARM_RMI_POPULATE reads the
 * guest_memfd's own PRIVATE state (openvmm's v15 plan, same pull). */
#define RMEB_KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES 250

/* Defined for the pinned layout only: the VMM never issues it. A
 * guest_memfd created with flags 0 stays private for its life on v15, and
 * the shared alias is served from the memslot's userspace address. */
struct rmeb_kvm_memory_attributes2 {
	uint64_t offset;        /* a union with `address` in the header */
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
	uint64_t error_offset;  /* out: the page whose refcount stopped it */
	uint64_t reserved[11];
};
#define RMEB_KVM_SET_MEMORY_ATTRIBUTES2 \
	_IOWR(RMEB_KVMIO, 0xd2, struct rmeb_kvm_memory_attributes2)

struct rmeb_kvm_arm_rmi_populate {
	uint64_t base;          /* in/out: IPA, advanced by the kernel */
	uint64_t size;          /* in/out: bytes left; 0 when done */
	uint64_t source_uaddr;  /* in/out: user address of the contents */
	uint32_t flags;         /* RMEB_KVM_ARM_RMI_POPULATE_FLAGS_MEASURE */
	uint32_t reserved;      /* must be 0 */
};

#define RMEB_KVM_ARM_RMI_POPULATE     _IOWR(RMEB_KVMIO, 0xd7, struct rmeb_kvm_arm_rmi_populate)
#define RMEB_KVM_ARM_RMI_POPULATE_FLAGS_MEASURE (1u << 0)

#endif
