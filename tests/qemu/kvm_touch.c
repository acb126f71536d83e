/*
 * kvm_touch: the smallest arm64 KVM workload with a known fault count, so
 * the tracefs chain (probes -> trace -> correlator -> results) can be
 * checked end to end inside the QEMU host independently of the VMM under
 * test. One vCPU, MMU off, a memslot of 1 code page + PAGES data pages
 * (THP off, so every page is its own stage-2 fault); the guest stores to
 * each data page once, then writes to an unmapped IPA (an MMIO exit) to
 * say it is done. Stage-2 faults: PAGES + 1 (the code page's fetch).
 *
 * Usage: kvm_touch PAGES      Exit 0 done, 1 KVM failure, 2 bad usage.
 * arm64 only: elsewhere it builds to a stub that says so.
 */
#include <stdio.h>
#include <stdlib.h>

#if defined(__aarch64__)
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ull
#define SLOT_IPA 0x80000000ull
#define MMIO_IPA 0x70000000ull

/* x0 = first data page, x1 = pages, x2 = stride, x5 = MMIO address. */
static const uint32_t guest_code[] = {
	0xf9000003, /* 1: str  x3, [x0]        first touch of a page */
	0x8b020000, /*    add  x0, x0, x2                              */
	0xf1000421, /*    subs x1, x1, #1                              */
	0x54ffffa1, /*    b.ne 1b                                      */
	0xf90000a3, /*    str  x3, [x5]        MMIO exit: done         */
	0x14000000, /*    b    .                                       */
};

static int fail(const char *what)
{
	fprintf(stderr, "kvm_touch: %s: %s\n", what, strerror(errno));
	return 1;
}

static int set_reg(int vcpu, uint64_t off_bytes, uint64_t value)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off_bytes / 4),
		.addr = (uint64_t)(uintptr_t)&value,
	};
	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

#define CORE_X(n) (offsetof(struct kvm_regs, regs.regs) + 8 * (n))
#define CORE_PC   offsetof(struct kvm_regs, regs.pc)

int main(int argc, char **argv)
{
	char *end;
	unsigned long pages = argc == 2 ? strtoul(argv[1], &end, 0) : 0;
	if (argc != 2 || *end || pages == 0 || pages > (1ul << 18)) {
		fprintf(stderr, "usage: kvm_touch PAGES   (1..262144)\n");
		return 2;
	}
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	size_t size = (pages + 1) * PAGE;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	(void)madvise(mem, size, MADV_NOHUGEPAGE); /* one stage-2 fault per 4K page */
	memcpy(mem, guest_code, sizeof(guest_code));
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = SLOT_IPA, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	struct kvm_vcpu_init init;
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) || ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		return fail("KVM_ARM_VCPU_INIT");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = run_size > 0 ? mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE,
						  MAP_SHARED, vcpu, 0) : MAP_FAILED;
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (set_reg(vcpu, CORE_PC, SLOT_IPA) || set_reg(vcpu, CORE_X(0), SLOT_IPA + PAGE) ||
	    set_reg(vcpu, CORE_X(1), pages) || set_reg(vcpu, CORE_X(2), PAGE) ||
	    set_reg(vcpu, CORE_X(3), 0x5a) || set_reg(vcpu, CORE_X(5), MMIO_IPA))
		return fail("KVM_SET_ONE_REG");
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
			return fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_IPA)
			break;
		if (run->exit_reason != KVM_EXIT_INTR) {
			fprintf(stderr, "kvm_touch: unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	printf("kvm_touch: %lu pages touched, %lu stage-2 faults expected\n", pages, pages + 1);
	return 0;
}

#else
int main(void)
{
	fprintf(stderr, "kvm_touch: arm64 KVM only\n");
	return 1;
}
#endif
