/*
 * The KVM half of the VMM: host checks, VM and memslot setup (normal VMs
 * and CCA realms, host series v14 or v15: vmm/cca.h decides which and what
 * each asks for), vCPU threads and their run loop.
 *
 * Lifecycle of a run (vmm_run):
 *   1. open /dev/kvm, KVM_CREATE_VM with the IPA width the layout needs
 *      (realm: KVM_VM_TYPE_ARM_REALM | bits);
 *   2. three memslots: boot (32 MiB anonymous: parameter page + image),
 *      data (backed as --page / backing asks), results (anonymous). A
 *      realm's slots are guest_memfd-backed (v14: marked private with the
 *      VM-fd attribute; v15: private for the guest_memfd's life, the shared
 *      alias served from the slot's userspace pages); its boot contents go
 *      in with KVM_ARM_RMI_POPULATE (measured) from the userspace copy,
 *      which creates the realm; KVM activates it on the first KVM_RUN;
 *   3. vGICv3 when the kernel offers it (a realm needs one), vCPUs with
 *      PSCI 0.2 (secondaries powered off until the guest's CPU_ON);
 *   4. one thread per vCPU (pinned if asked) in KVM_RUN; MMIO exits for
 *      the console and the rme-bench port, memory-fault exits (a realm's
 *      private <-> shared conversions) and the SYSTEM_OFF system event;
 *   5. the results are decoded (layout.c) and everything is torn down.
 * Exits are timed with the stage clock: how long the VMM holds a vCPU
 * outside KVM_RUN is reported (VMM_EXIT_HANDLING_NS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sys/topology.h"
#include "clock/stage_clock.h"
#include "errf.h"
#include "vmm/cca.h"
#include "vmm/kvm_uapi.h"
#include "vmm/vmm.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define SZ_2M (2ULL << 20)
#define VGIC_DIST_IPA   0x08000000ULL
#define VGIC_REDIST_IPA 0x080a0000ULL
#define CONSOLE_KEEP    4096

enum { SLOT_BOOT, SLOT_DATA, SLOT_RESULTS, NR_SLOTS };

struct slot {
	uint64_t ipa, size;
	void *mem;          /* page-aligned start the guest sees */
	void *map;          /* what to munmap */
	size_t map_len;
	int gmem_fd;        /* realm: guest_memfd, else -1 */
	bool hugetlb;       /* MAP_HUGETLB: discards only whole 2 MiB pages */
};

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct rmeb_kvm_run *run;
	pthread_t thread;
	bool started;
	/* written by the vCPU thread, read after join */
	uint64_t runs, exits_mmio, exits_system, exits_memfault, exits_intr;
	uint64_t handling_ns;
	char error[SYS_PIN_NOTE_LEN + 16];
};

struct vm {
	const struct run_config *cfg;
	const struct vmm_config *vc;
	struct vmm_layout layout;
	enum vmm_cca_series cca;    /* realm: the series the kernel speaks */
	int kvm_fd, vm_fd, vgic_fd;
	size_t run_size;
	struct slot slots[NR_SLOTS];
	struct vcpu vcpus[VMM_MAX_VCPUS];
	struct sys_topology *topo;
	atomic_bool stop;
	atomic_bool activation_failed; /* a realm's first KVM_RUN failed */
	pthread_mutex_t lock;       /* console, done */
	pthread_cond_t done_cond;
	bool done;                  /* SYSTEM_OFF seen, or a vCPU failed */
	bool shutdown;              /* the guest powered off */
	uint64_t guest_status;      /* RMEB_PORT_DONE value */
	bool status_written;
	char console[CONSOLE_KEEP];
	size_t console_len;
	char line[256];
	size_t line_len;
};

static const char *kvm_path(const struct vmm_config *vc)
{
	return vc && vc->kvm_path ? vc->kvm_path : "/dev/kvm";
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static int check_ext(int fd, long cap)
{
	int r = ioctl(fd, RMEB_KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

/* ---- host checks ---- */

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024ULL;
}

/* What the kernel answers about realms. A realm VM is created (and
 * closed) only when the capabilities do not settle series v14: v15 must be
 * asked for its guest_memfd attributes on a realm's VM fd, and a kernel
 * answering neither number must be told apart from one without realms. */
static void cca_probe(int kvm_fd, unsigned ipa_bits, struct vmm_cca_answers *a)
{
	*a = (struct vmm_cca_answers){
		.rmi_v14 = check_ext(kvm_fd, RMEB_KVM_CAP_ARM_RMI_V14),
		.rmi_v15 = check_ext(kvm_fd, RMEB_KVM_CAP_ARM_RMI_V15),
		.guest_memfd = check_ext(kvm_fd, RMEB_KVM_CAP_GUEST_MEMFD),
		.user_memory2 = check_ext(kvm_fd, RMEB_KVM_CAP_USER_MEMORY2),
		.ipa_bits = ipa_bits,
	};
	if (a->rmi_v14 > 0)
		return;  /* v14, or a mix of both numbers (refused as it stands) */
	int vm_fd;
	a->realm_vm_tried = true;
	do
		vm_fd = ioctl(kvm_fd, RMEB_KVM_CREATE_VM,
			      (unsigned long)(RMEB_KVM_VM_TYPE_ARM_REALM | ipa_bits));
	while (vm_fd < 0 && errno == EINTR);
	if (vm_fd < 0) {
		a->realm_vm_errno = errno;
		return;
	}
	a->realm_vm = true;
	a->gmem_attributes = check_ext(vm_fd, RMEB_KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES);
	close(vm_fd);
}

static int cca_detect_fd(int kvm_fd, unsigned ipa_bits, enum vmm_cca_series *out, char *err,
			 size_t len)
{
	struct vmm_cca_answers a;
	cca_probe(kvm_fd, ipa_bits, &a);
	return vmm_cca_series_decide(&a, out, err, len);
}

int vmm_cca_detect(const struct run_config *cfg, const struct vmm_config *vc,
		   enum vmm_cca_series *out, char *err, size_t len)
{
	struct vmm_layout l;

	*out = VMM_CCA_NONE;
	if (vmm_layout_compute(cfg, &l, err, len))
		return -1;
	int fd = open(kvm_path(vc), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errf(err, len, "--backend kvm: cannot open %s: %s", kvm_path(vc),
			    strerror(errno));
	int ret = cca_detect_fd(fd, l.ipa_bits, out, err, len);
	close(fd);
	return ret;
}

int vmm_host_check(const struct run_config *cfg, const struct vmm_config *vc, char *err,
		   size_t len)
{
	struct vmm_layout l;
	struct utsname u;
	enum vmm_cca_series series;

	if (uname(&u) == 0 && strcmp(u.machine, "aarch64"))
		return errf(err, len, "--backend kvm: runs aarch64 guests under KVM and needs an "
			    "arm64 host; this host is %s (use --backend sim here, or see "
			    "docs/real-backend.md for QEMU)", u.machine);
#if !defined(__aarch64__)
	return errf(err, len, "--backend kvm: this rme-bench was built for another "
		    "architecture; build it for arm64");
#endif
	if (vmm_layout_compute(cfg, &l, err, len))
		return -1;
	int fd = open(kvm_path(vc), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errf(err, len, "--backend kvm: cannot open %s: %s (KVM not available: "
			    "enable virtualization, load the kvm module, or check permissions)",
			    kvm_path(vc), strerror(errno));
	int ret = 0;
	int api = ioctl(fd, RMEB_KVM_GET_API_VERSION, 0);
	int ipa_max = check_ext(fd, RMEB_KVM_CAP_ARM_VM_IPA_SIZE);
	if (api != RMEB_KVM_API_VERSION)
		ret = errf(err, len, "--backend kvm: KVM API version %d, expected %d", api,
			   RMEB_KVM_API_VERSION);
	else if (!check_ext(fd, RMEB_KVM_CAP_ARM_PSCI_0_2))
		ret = errf(err, len, "--backend kvm: this KVM has no PSCI 0.2 (KVM_CAP_ARM_PSCI_0_2)");
	else if ((unsigned)(ipa_max ? ipa_max : 40) < l.ipa_bits)
		ret = errf(err, len, "--size: the run needs a %u-bit IPA space, this KVM offers %d "
			   "bits (KVM_CAP_ARM_VM_IPA_SIZE)", l.ipa_bits, ipa_max ? ipa_max : 40);
	else if (cfg->vm == VM_REALM)
		ret = cca_detect_fd(fd, l.ipa_bits, &series, err, len);
	close(fd);
	if (ret)
		return ret;
	uint64_t need = RMEB_GUEST_BOOT_SIZE + l.data_size + l.results_size;
	uint64_t avail = mem_available();
	if (avail && need > avail)
		return errf(err, len, "--size: the guest needs %llu MiB, the host has %llu MiB "
			    "available", (unsigned long long)(need >> 20),
			    (unsigned long long)(avail >> 20));
	return 0;
}

/* ---- memory ---- */

static enum vmm_backing data_backing(const struct vm *vm)
{
	if (vm->vc->backing != VMM_BACKING_DEFAULT)
		return vm->vc->backing;
	return vm->cfg->page == PATTERN_SZ_2M ? VMM_BACKING_THP : VMM_BACKING_ANON;
}

static int slot_alloc(struct slot *s, enum vmm_backing b, char *err, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	size_t extra = b == VMM_BACKING_THP ? SZ_2M : 0;

	s->gmem_fd = -1;
	s->hugetlb = b == VMM_BACKING_HUGETLB;
	if (b == VMM_BACKING_HUGETLB)
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB;
	s->map_len = s->size + extra;
	s->map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return errf(err, len, "%s: mmap of %llu MiB failed: %s%s",
			    b == VMM_BACKING_HUGETLB ? "hugetlb backing" : "guest memory",
			    (unsigned long long)(s->size >> 20), strerror(errno),
			    b == VMM_BACKING_HUGETLB ? " (reserve 2 MiB pages in "
			    "/proc/sys/vm/nr_hugepages)" : "");
	}
	uintptr_t a = (uintptr_t)s->map;
	s->mem = (void *)(extra ? (a + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1) : a);
	if (b == VMM_BACKING_THP && madvise(s->mem, s->size, MADV_HUGEPAGE))
		return errf(err, len, "THP backing: madvise(MADV_HUGEPAGE) failed: %s "
			    "(transparent hugepages disabled?)", strerror(errno));
	if (b == VMM_BACKING_ANON)
		madvise(s->mem, s->size, MADV_NOHUGEPAGE);  /* best effort: 4K means 4K */
	return 0;
}

static int slot_register(struct vm *vm, unsigned id, char *err, size_t len)
{
	struct slot *s = &vm->slots[id];
	if (vm->cfg->vm != VM_REALM) {
		struct rmeb_kvm_userspace_memory_region r = {
			.slot = id, .guest_phys_addr = s->ipa, .memory_size = s->size,
			.userspace_addr = (uint64_t)(uintptr_t)s->mem,
		};
		if (xioctl(vm->vm_fd, RMEB_KVM_SET_USER_MEMORY_REGION, &r))
			return errf(err, len, "KVM_SET_USER_MEMORY_REGION slot %u: %s", id,
				    strerror(errno));
		return 0;
	}
	struct rmeb_kvm_create_guest_memfd g = { .size = s->size };
	s->gmem_fd = xioctl(vm->vm_fd, RMEB_KVM_CREATE_GUEST_MEMFD, &g);
	if (s->gmem_fd < 0)
		return errf(err, len, "KVM_CREATE_GUEST_MEMFD (%llu MiB): %s",
			    (unsigned long long)(s->size >> 20), strerror(errno));
	struct rmeb_kvm_userspace_memory_region2 r = {
		.slot = id, .flags = RMEB_KVM_MEM_GUEST_MEMFD, .guest_phys_addr = s->ipa,
		.memory_size = s->size, .userspace_addr = (uint64_t)(uintptr_t)s->mem,
		.guest_memfd_offset = 0, .guest_memfd = (uint32_t)s->gmem_fd,
	};
	if (xioctl(vm->vm_fd, RMEB_KVM_SET_USER_MEMORY_REGION2, &r))
		return errf(err, len, "KVM_SET_USER_MEMORY_REGION2 slot %u: %s", id,
			    strerror(errno));
	if (vm->cca == VMM_CCA_V15)
		return 0;  /* a flags-0 guest_memfd is private from birth */
	struct rmeb_kvm_memory_attributes a = {
		.address = s->ipa, .size = s->size,
		.attributes = RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};
	if (xioctl(vm->vm_fd, RMEB_KVM_SET_MEMORY_ATTRIBUTES, &a))
		return errf(err, len, "KVM_SET_MEMORY_ATTRIBUTES private, slot %u: %s", id,
			    strerror(errno));
	return 0;
}

static int load_boot(struct vm *vm, const char *payload, size_t *image_len, char *err,
		     size_t len)
{
	struct slot *b = &vm->slots[SLOT_BOOT];
	uint8_t *img = (uint8_t *)b->mem + RMEB_GUEST_IMAGE_OFFSET;
	int fd = open(payload, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return errf(err, len, "--payload: cannot open '%s': %s", payload, strerror(errno));
	}
	if ((uint64_t)st.st_size > VMM_MAX_IMAGE) {
		close(fd);
		return errf(err, len, "--payload: '%s' is larger than the boot slot", payload);
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, img + got, (size_t)st.st_size - got);
		if (n <= 0) {
			close(fd);
			return errf(err, len, "--payload: reading '%s' failed", payload);
		}
		got += (size_t)n;
	}
	close(fd);
	if (vmm_image_check(img, got, err, len))
		return -1;
	*image_len = got;
	struct rmeb_guest_params p;
	vmm_params_fill(vm->cfg, &vm->layout, &p);
	memcpy((uint8_t *)b->mem + (RMEB_GUEST_PARAMS_IPA - RMEB_GUEST_RAM_IPA), &p, sizeof(p));
	return 0;
}

/* Realm: copy the parameter page and the image into protected memory,
 * measured. The kernel may stop early; it then advances the structure. */
static int realm_populate(struct vm *vm, size_t image_len, char *err, size_t len)
{
	struct slot *b = &vm->slots[SLOT_BOOT];
	uint64_t start = RMEB_GUEST_PARAMS_IPA;
	uint64_t end = RMEB_GUEST_IMAGE_IPA + ((image_len + 4095) & ~4095ULL);
	struct rmeb_kvm_arm_rmi_populate p = {
		.base = start, .size = end - start,
		.source_uaddr = (uint64_t)(uintptr_t)b->mem + (start - b->ipa),
		.flags = RMEB_KVM_ARM_RMI_POPULATE_FLAGS_MEASURE,
	};
	while (p.size) {
		uint64_t before = p.size;
		if (xioctl(vm->vm_fd, RMEB_KVM_ARM_RMI_POPULATE, &p))
			return errf(err, len, "KVM_ARM_RMI_POPULATE [0x%llx, +0x%llx): %s",
				    (unsigned long long)p.base, (unsigned long long)p.size,
				    strerror(errno));
		if (p.size >= before)
			return errf(err, len, "KVM_ARM_RMI_POPULATE made no progress at 0x%llx",
				    (unsigned long long)p.base);
	}
	return 0;
}

/* ---- devices and vCPUs ---- */

static int vgic_create(struct vm *vm, char *err, size_t len)
{
	struct rmeb_kvm_create_device d = { .type = RMEB_KVM_DEV_TYPE_ARM_VGIC_V3 };
	vm->vgic_fd = -1;
	if (xioctl(vm->vm_fd, RMEB_KVM_CREATE_DEVICE, &d)) {
		if (vm->cfg->vm == VM_REALM)
			return errf(err, len, "a realm needs an in-kernel GICv3: "
				    "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(errno));
		return 0;  /* a normal VM runs without one: the payload takes no interrupts */
	}
	vm->vgic_fd = (int)d.fd;
	uint64_t dist = VGIC_DIST_IPA, redist = VGIC_REDIST_IPA;
	struct rmeb_kvm_device_attr a = { .group = RMEB_KVM_DEV_ARM_VGIC_GRP_ADDR,
					  .attr = RMEB_KVM_VGIC_V3_ADDR_TYPE_DIST,
					  .addr = (uint64_t)(uintptr_t)&dist };
	if (xioctl(vm->vgic_fd, RMEB_KVM_SET_DEVICE_ATTR, &a))
		return errf(err, len, "vGICv3 distributor address: %s", strerror(errno));
	a.attr = RMEB_KVM_VGIC_V3_ADDR_TYPE_REDIST;
	a.addr = (uint64_t)(uintptr_t)&redist;
	if (xioctl(vm->vgic_fd, RMEB_KVM_SET_DEVICE_ATTR, &a))
		return errf(err, len, "vGICv3 redistributor address: %s", strerror(errno));
	return 0;
}

static int vgic_init(struct vm *vm, char *err, size_t len)
{
	if (vm->vgic_fd < 0)
		return 0;
	struct rmeb_kvm_device_attr a = { .group = RMEB_KVM_DEV_ARM_VGIC_GRP_CTRL,
					  .attr = RMEB_KVM_DEV_ARM_VGIC_CTRL_INIT };
	if (xioctl(vm->vgic_fd, RMEB_KVM_SET_DEVICE_ATTR, &a))
		return errf(err, len, "vGICv3 init: %s", strerror(errno));
	return 0;
}

static int set_reg(int fd, uint64_t id, uint64_t value)
{
	struct rmeb_kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
	return xioctl(fd, RMEB_KVM_SET_ONE_REG, &r);
}

static int vcpu_create(struct vm *vm, unsigned i, char *err, size_t len)
{
	struct vcpu *c = &vm->vcpus[i];
	struct rmeb_kvm_vcpu_init init;

	c->vm = vm;
	c->index = i;
	c->fd = ioctl(vm->vm_fd, RMEB_KVM_CREATE_VCPU, (unsigned long)i);
	if (c->fd < 0)
		return errf(err, len, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
	c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return errf(err, len, "mmap of vCPU %u's kvm_run: %s", i, strerror(errno));
	}
	if (xioctl(vm->vm_fd, RMEB_KVM_ARM_PREFERRED_TARGET, &init))
		return errf(err, len, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1u << RMEB_KVM_ARM_VCPU_PSCI_0_2;
	if (i)
		init.features[0] |= 1u << RMEB_KVM_ARM_VCPU_POWER_OFF;  /* until CPU_ON */
	if (xioctl(c->fd, RMEB_KVM_ARM_VCPU_INIT, &init))
		return errf(err, len, "KVM_ARM_VCPU_INIT vCPU %u: %s", i, strerror(errno));
	if (i != 0)
		return 0;
	struct vmm_boot_reg regs[VMM_MAX_BOOT_REGS];
	size_t n = vmm_boot_regs(vm->cfg->vm, regs);
	for (size_t k = 0; k < n; k++)
		if (set_reg(c->fd, regs[k].id, regs[k].value))
			return errf(err, len, "KVM_SET_ONE_REG %s of vCPU 0: %s", regs[k].name,
				    strerror(errno));
	return 0;
}

/* ---- run loop ---- */

static void finish(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->done = true;
	pthread_cond_broadcast(&vm->done_cond);
	pthread_mutex_unlock(&vm->lock);
}

static void console_put(struct vm *vm, char ch)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->console_len == sizeof(vm->console) - 1) {
		memmove(vm->console, vm->console + 1024, vm->console_len - 1024);
		vm->console_len -= 1024;
	}
	vm->console[vm->console_len++] = ch;
	vm->console[vm->console_len] = 0;
	if (vm->vc->echo_console && ch != '\r') {
		if (ch == '\n' || vm->line_len == sizeof(vm->line) - 1) {
			vm->line[vm->line_len] = 0;
			fprintf(stderr, "guest: %s\n", vm->line);
			vm->line_len = 0;
		} else {
			vm->line[vm->line_len++] = ch;
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t mmio_value(const struct rmeb_kvm_run_mmio *m)
{
	uint64_t v = 0;
	memcpy(&v, m->data, m->len <= 8 ? m->len : 8);
	return v;
}

static int handle_mmio(struct vcpu *c)
{
	struct vm *vm = c->vm;
	struct rmeb_kvm_run_mmio *m = &c->run->u.mmio;
	uint64_t addr = m->phys_addr;

	/* A realm reaches devices through the unprotected alias. */
	if (vm->cfg->vm == VM_REALM)
		addr &= ~(1ULL << (vm->layout.ipa_bits - 1));
	if (addr >= RMEB_GUEST_UART_IPA && addr < RMEB_GUEST_UART_IPA + RMEB_GUEST_MMIO_SIZE) {
		if (m->is_write && addr - RMEB_GUEST_UART_IPA == RMEB_PL011_DR)
			console_put(vm, (char)m->data[0]);
		else if (!m->is_write)
			memset(m->data, 0, sizeof(m->data));  /* FR: never full */
		return 0;
	}
	if (addr >= RMEB_GUEST_PORT_IPA && addr < RMEB_GUEST_PORT_IPA + RMEB_GUEST_MMIO_SIZE) {
		if (!m->is_write) {
			memset(m->data, 0, sizeof(m->data));
			return 0;
		}
		if (addr - RMEB_GUEST_PORT_IPA == RMEB_PORT_DONE) {
			pthread_mutex_lock(&vm->lock);
			vm->guest_status = mmio_value(m);
			vm->status_written = true;
			pthread_mutex_unlock(&vm->lock);
		}
		return 0;
	}
	snprintf(c->error, sizeof(c->error), "guest %s of unemulated IPA 0x%llx (vCPU %u)",
		 m->is_write ? "write" : "read", (unsigned long long)m->phys_addr, c->index);
	return -1;
}

/* One step of a memory-fault plan (vmm/cca.h): the v14 attribute flip,
 * or v15's cleanup of the side the guest gave up. 0, or -1 with errno. */
static int memory_fault_step(struct vm *vm, const struct vmm_cca_step *st)
{
	const struct slot *s = &vm->slots[st->slot];

	switch (st->kind) {
	case VMM_CCA_SET_ATTRIBUTES: {
		struct rmeb_kvm_memory_attributes a = {
			.address = st->gpa, .size = st->len,
			.attributes = st->private ? RMEB_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
		};
		return xioctl(vm->vm_fd, RMEB_KVM_SET_MEMORY_ATTRIBUTES, &a);
	}
	case VMM_CCA_PUNCH_GMEM:
		return fallocate(s->gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 (off_t)st->offset, (off_t)st->len);
	case VMM_CCA_DROP_SHARED:
		/* hugetlbfs cannot drop part of a 2 MiB page: the stale shared
		 * copy stays (the guest reads the private page, not it). */
		if (s->hugetlb && ((st->offset | st->len) & (SZ_2M - 1)))
			return 0;
		return madvise((char *)s->mem + st->offset, st->len, MADV_DONTNEED);
	}
	errno = EINVAL;
	return -1;
}

static int handle_memory_fault(struct vcpu *c)
{
	struct vm *vm = c->vm;
	struct rmeb_kvm_run_memory_fault *f = &c->run->u.memory_fault;
	struct vmm_cca_slot slots[NR_SLOTS];
	struct vmm_cca_step steps[VMM_CCA_MAX_STEPS];
	size_t n = 0;

	for (unsigned i = 0; i < NR_SLOTS; i++)
		slots[i] = (struct vmm_cca_slot){ vm->slots[i].ipa, vm->slots[i].size };
	if (vmm_cca_memory_fault_plan(vm->cca, f->flags, f->gpa, f->size, slots, NR_SLOTS,
				      steps, &n, c->error, sizeof(c->error)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (memory_fault_step(vm, &steps[i])) {
			snprintf(c->error, sizeof(c->error), "converting [0x%llx, +0x%llx) to %s "
				 "(series %s): %s", (unsigned long long)steps[i].gpa,
				 (unsigned long long)steps[i].len,
				 steps[i].private ? "private" : "shared",
				 vmm_cca_series_name(vm->cca), strerror(errno));
			return -1;
		}
	return 0;
}

/* 1: keep running, 0: the VM is done, -1: error (c->error). */
static int handle_exit(struct vcpu *c)
{
	struct vm *vm = c->vm;
	switch (c->run->exit_reason) {
	case RMEB_KVM_EXIT_MMIO:
		c->exits_mmio++;
		return handle_mmio(c) ? -1 : 1;
	case RMEB_KVM_EXIT_MEMORY_FAULT:
		c->exits_memfault++;
		return handle_memory_fault(c) ? -1 : 1;
	case RMEB_KVM_EXIT_INTR:
		c->exits_intr++;
		return 1;
	case RMEB_KVM_EXIT_SYSTEM_EVENT:
		c->exits_system++;
		if (c->run->u.system_event.type == RMEB_KVM_SYSTEM_EVENT_SHUTDOWN) {
			pthread_mutex_lock(&vm->lock);
			vm->shutdown = true;
			pthread_mutex_unlock(&vm->lock);
			return 0;
		}
		snprintf(c->error, sizeof(c->error), "guest system event %u (%s) on vCPU %u",
			 c->run->u.system_event.type,
			 c->run->u.system_event.type == RMEB_KVM_SYSTEM_EVENT_RESET ? "reset"
			 : c->run->u.system_event.type == RMEB_KVM_SYSTEM_EVENT_CRASH ? "crash"
			 : "unknown", c->index);
		return -1;
	case RMEB_KVM_EXIT_FAIL_ENTRY:
		snprintf(c->error, sizeof(c->error), "KVM_EXIT_FAIL_ENTRY on vCPU %u (reason 0x%llx)",
			 c->index,
			 (unsigned long long)c->run->u.fail_entry.hardware_entry_failure_reason);
		return -1;
	default:
		snprintf(c->error, sizeof(c->error), "unexpected KVM exit reason %u on vCPU %u",
			 c->run->exit_reason, c->index);
		return -1;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	char note[SYS_PIN_NOTE_LEN];

	if (vm->cfg->pin_cpus && vm->topo &&
	    sys_pin_bind_self(vm->topo, vm->cfg->pin_cpus[c->index], note, sizeof(note)) < 0) {
		snprintf(c->error, sizeof(c->error), "--pin: %s", note);
		finish(vm);
		return NULL;
	}
	while (!atomic_load(&vm->stop)) {
		c->runs++;
		int r = ioctl(c->fd, RMEB_KVM_RUN, 0);
		int e = errno;
		uint64_t t0 = stage_clock_now();
		enum vmm_run_outcome o = vmm_run_outcome(r, e, c->run->exit_reason);
		if (o == VMM_RUN_AGAIN) {
			c->exits_intr++;
			continue;
		}
		if (o == VMM_RUN_FAILED && vm->cfg->vm == VM_REALM && c->index == 0 && c->runs == 1) {
			/* The CCA series activates a realm on its first KVM_RUN. */
			snprintf(c->error, sizeof(c->error),
				 "realm activation failed: the first KVM_RUN returned %s (the kernel "
				 "creates the RECs, sets the RIPAS of RAM and calls "
				 "RMI_REALM_ACTIVATE there; its log names the RMI status)",
				 strerror(e));
			atomic_store(&vm->activation_failed, true);
			break;
		}
		if (o == VMM_RUN_FAILED) {
			snprintf(c->error, sizeof(c->error), "KVM_RUN on vCPU %u: %s", c->index,
				 strerror(e));
			break;
		}
		int h = handle_exit(c);
		c->handling_ns += stage_clock_ticks_to_ns(stage_clock_now() - t0);
		if (h <= 0)
			break;
	}
	finish(vm);
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

/* Stop every vCPU: set immediate_exit (no re-entry) and interrupt KVM_RUN. */
static void stop_all(struct vm *vm)
{
	atomic_store(&vm->stop, true);
	for (unsigned i = 0; i < vm->cfg->vcpus; i++) {
		struct vcpu *c = &vm->vcpus[i];
		if (!c->started)
			continue;
		__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(c->thread, SIGUSR1);
	}
}

static unsigned timeout_for(const struct vm *vm)
{
	if (vm->vc->timeout_s)
		return vm->vc->timeout_s;
	/* Nested TCG (QEMU) takes about a millisecond per stage-2 fault:
	 * two minutes plus ten seconds per 64 MiB touched. */
	uint64_t mib = vm->layout.data_size >> 20;
	return 120 + (unsigned)(mib / 64) * 10;
}

static int run_vcpus(struct vm *vm, char *err, size_t len)
{
	struct sigaction sa = { .sa_handler = kick_handler }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);

	for (unsigned i = 0; i < vm->cfg->vcpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i])) {
			stop_all(vm);
			errf(err, len, "cannot start vCPU thread %u", i);
			break;
		}
		vm->vcpus[i].started = true;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_for(vm);
	bool timed_out = false;
	pthread_mutex_lock(&vm->lock);
	while (!vm->done && !err[0])
		if (pthread_cond_timedwait(&vm->done_cond, &vm->lock, &deadline) == ETIMEDOUT) {
			timed_out = true;
			break;
		}
	pthread_mutex_unlock(&vm->lock);
	stop_all(vm);
	for (unsigned i = 0; i < vm->cfg->vcpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	sigaction(SIGUSR1, &old, NULL);
	if (err[0])
		return -1;
	for (unsigned i = 0; i < vm->cfg->vcpus; i++)
		if (vm->vcpus[i].error[0])
			return errf(err, len, "%s", vm->vcpus[i].error);
	if (timed_out)
		return errf(err, len, "the guest did not power off within %u s (see the guest "
			    "console; raise the timeout for slow hosts)", timeout_for(vm));
	if (!vm->shutdown)
		return errf(err, len, "the guest stopped without PSCI SYSTEM_OFF");
	if (!vm->status_written)
		return errf(err, len, "the guest powered off without reporting a status");
	if (vm->guest_status)
		return errf(err, len, "the guest reported failure %llu",
			    (unsigned long long)vm->guest_status);
	return 0;
}

/* ---- setup and teardown ---- */

static void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < VMM_MAX_VCPUS; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	if (vm->vgic_fd >= 0)
		close(vm->vgic_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	for (unsigned s = 0; s < NR_SLOTS; s++) {
		if (vm->slots[s].gmem_fd >= 0)
			close(vm->slots[s].gmem_fd);
		if (vm->slots[s].map)
			munmap(vm->slots[s].map, vm->slots[s].map_len);
	}
	if (vm->topo)
		sys_topology_free(vm->topo);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->done_cond);
}

static int vm_setup(struct vm *vm, const char *payload, char *err, size_t len)
{
	size_t image_len = 0;
	uint64_t type = vm->layout.ipa_bits;

	vm->kvm_fd = open(kvm_path(vm->vc), O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return errf(err, len, "cannot open %s: %s", kvm_path(vm->vc), strerror(errno));
	int rs = ioctl(vm->kvm_fd, RMEB_KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rs < (int)sizeof(struct rmeb_kvm_run))
		return errf(err, len, "KVM_GET_VCPU_MMAP_SIZE: %d", rs);
	vm->run_size = (size_t)rs;
	if (vm->cfg->vm == VM_REALM) {
		type |= RMEB_KVM_VM_TYPE_ARM_REALM;
		vm->cca = vm->vc->cca_series;
		if (vm->cca == VMM_CCA_NONE &&
		    cca_detect_fd(vm->kvm_fd, vm->layout.ipa_bits, &vm->cca, err, len))
			return -1;
	}
	do
		vm->vm_fd = ioctl(vm->kvm_fd, RMEB_KVM_CREATE_VM, (unsigned long)type);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return errf(err, len, "KVM_CREATE_VM (%s, %u-bit IPA): %s",
			    vm->cfg->vm == VM_REALM ? "realm" : "normal", vm->layout.ipa_bits,
			    strerror(errno));

	vm->slots[SLOT_BOOT] = (struct slot){ .ipa = RMEB_GUEST_RAM_IPA,
					      .size = RMEB_GUEST_BOOT_SIZE };
	vm->slots[SLOT_DATA] = (struct slot){ .ipa = vm->layout.data_ipa,
					      .size = vm->layout.data_size };
	vm->slots[SLOT_RESULTS] = (struct slot){ .ipa = vm->layout.results_ipa,
						 .size = vm->layout.results_size };
	if (slot_alloc(&vm->slots[SLOT_BOOT], VMM_BACKING_ANON, err, len) ||
	    slot_alloc(&vm->slots[SLOT_DATA], data_backing(vm), err, len) ||
	    slot_alloc(&vm->slots[SLOT_RESULTS], VMM_BACKING_ANON, err, len))
		return -1;
	if (load_boot(vm, payload, &image_len, err, len))
		return -1;
	for (unsigned s = 0; s < NR_SLOTS; s++)
		if (slot_register(vm, s, err, len))
			return -1;
	if (vgic_create(vm, err, len))
		return -1;
	for (unsigned i = 0; i < vm->cfg->vcpus; i++)
		if (vcpu_create(vm, i, err, len))
			return -1;
	if (vgic_init(vm, err, len))
		return -1;
	if (vm->cfg->vm == VM_REALM && realm_populate(vm, image_len, err, len))
		return -1;
	if (vm->cfg->pin_cpus && sys_topology_load(&vm->topo, err, len))
		return -1;
	return 0;
}

static void report_counts(const struct vm *vm, struct run_result *res)
{
	uint64_t runs = 0, mmio = 0, sys = 0, memf = 0, intr = 0, ns = 0;
	for (unsigned i = 0; i < vm->cfg->vcpus; i++) {
		const struct vcpu *c = &vm->vcpus[i];
		runs += c->runs;
		mmio += c->exits_mmio;
		sys += c->exits_system;
		memf += c->exits_memfault;
		intr += c->exits_intr;
		ns += c->handling_ns;
	}
	const struct results_count add[] = {
		{ "VMM_KVM_RUN", runs }, { "VMM_EXIT_MMIO", mmio },
		{ "VMM_EXIT_SYSTEM_EVENT", sys }, { "VMM_EXIT_MEMORY_FAULT", memf },
		{ "VMM_EXIT_INTR", intr }, { "VMM_EXIT_HANDLING_NS", ns },
	};
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]) && res->n_counts < RUN_MAX_COUNTS; i++)
		res->counts[res->n_counts++] = add[i];
	res->mmio_exits = mmio;
}

static void show_console(const struct vm *vm)
{
	if (!vm->console_len || vm->vc->echo_console)
		return;
	fprintf(stderr, "rme-bench run: guest console (last %zu bytes):\n%s%s", vm->console_len,
		vm->console, vm->console[vm->console_len - 1] == '\n' ? "" : "\n");
}

int vmm_run(const struct run_config *cfg, const struct vmm_config *vc,
	    struct run_result *res)
{
	char payload[4096];
	struct vm *vm;

	memset(res, 0, sizeof(*res));
	if (vmm_validate(cfg, vc, res->error, sizeof(res->error)) ||
	    vmm_payload_find(vc->payload, payload, sizeof(payload), res->error,
			     sizeof(res->error)))
		return -1;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -1;
	}
	vm->cfg = cfg;
	vm->vc = vc;
	vm->kvm_fd = vm->vm_fd = vm->vgic_fd = -1;
	for (unsigned s = 0; s < NR_SLOTS; s++)
		vm->slots[s].gmem_fd = -1;
	for (unsigned i = 0; i < VMM_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->done_cond, NULL);

	int ret = vmm_layout_compute(cfg, &vm->layout, res->error, sizeof(res->error));
	if (!ret) {
		ret = vm_setup(vm, payload, res->error, sizeof(res->error));
		/* A realm the kernel (or the RMM below it) will not create. */
		res->refused = ret && cfg->vm == VM_REALM;
	}
	if (!ret) {
		ret = run_vcpus(vm, res->error, sizeof(res->error));
		res->refused = ret && atomic_load(&vm->activation_failed);
	}
	if (!ret) {
		const struct slot *r = &vm->slots[SLOT_RESULTS];
		ret = vmm_collect(cfg, &vm->layout, r->mem, r->size, res);
	}
	if (!ret) {
		report_counts(vm, res);
		if (res->guest_first_touches != vm->layout.expected_first_touches) {
			snprintf(res->error, sizeof(res->error),
				 "the guest made %llu first touches, the pattern expects %llu",
				 (unsigned long long)res->guest_first_touches,
				 (unsigned long long)vm->layout.expected_first_touches);
			free(res->faults);
			res->faults = NULL;
			res->n_faults = 0;
			ret = -1;
		}
	}
	if (ret)
		show_console(vm);
	vm_destroy(vm);
	free(vm);
	return ret ? -1 : 0;
}

int vmm_meta_extras(struct results_writer *w, const struct vmm_config *vc, char *err,
		    size_t len)
{
	const char *backing = "from --page (4K: anonymous, 2M: THP)";
	if (vc->backing == VMM_BACKING_ANON)
		backing = "anonymous";
	else if (vc->backing == VMM_BACKING_THP)
		backing = "THP";
	else if (vc->backing == VMM_BACKING_HUGETLB)
		backing = "hugetlb 2M";
	if (results_meta_add_string(w, "kvm_uapi", vmm_cca_uapi_text(vc->cca_series), err,
				    len) ||
	    (vc->cca_series == VMM_CCA_V15 &&
	     results_meta_add_string(w, "kvm_uapi_note",
				     "the v15 realm path is unit-tested only: it has not yet run on "
				     "a v15 kernel (docs/real-backend.md, \"CCA host series v15\")",
				     err, len)) ||
	    results_meta_add_string(w, "guest_clock",
				    "CNTVCT_EL0 read by the guest around each first touch "
				    "(isb-bracketed); converted with the guest's CNTFRQ_EL0",
				    err, len) ||
	    results_meta_add_string(w, "backing", backing, err, len) ||
	    /* joins this run with what an outside observer (the QEMU instruction
	     * plugin's run=ID) recorded of it: `rme-bench insn merge` checks it */
	    (getenv("RMEB_RUN_ID") && *getenv("RMEB_RUN_ID") &&
	     results_meta_add_string(w, "run_id", getenv("RMEB_RUN_ID"), err, len)) ||
	    results_meta_add_string(w, "note",
				    "kvm backend: fault times are guest-observed latencies of real "
				    "stage-2 faults (all in 'unattributed' unless kernel stages were "
				    "traced); host.platform says whether the CPU was emulated "
				    "(QEMU TCG, FVP: emulation times, not hardware)",
				    err, len))
		return -1;
	return 0;
}
