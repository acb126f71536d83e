/*
 * The VMM's host-independent half (host/vmm/layout.c) and its refusals:
 * argument validation, the guest memory map and parameter page, payload
 * image checks and lookup, decoding of a synthetic guest result area
 * (every rejection path), and vmm_host_check() refusing this host when it
 * is not arm64 with KVM. Needs no /dev/kvm; runs in milliseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"
#include "clock/stage.h"
#include "vmm/kvm_uapi.h"
#include "vmm/vmm.h"

#define MIB (1ULL << 20)

static struct run_config config(const char *pattern, enum vm_type vm, unsigned vcpus,
				    uint64_t size, uint64_t page)
{
	return (struct run_config){
		.vm = vm, .pattern = pattern_find(pattern), .size = size, .page = page,
		.vcpus = vcpus, .seed = 1,
	};
}

static void expect_invalid(struct run_config cfg, struct vmm_config vc, const char *needle)
{
	char err[256] = "";
	CHECK(vmm_validate(&cfg, &vc, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, needle);
}

static void test_validate(void)
{
	struct vmm_config vc = { 0 };
	char err[256];
	struct run_config ok = config("seq", VM_NORMAL, 2, 4 * MIB, PATTERN_SZ_4K);
	CHECK(vmm_validate(&ok, &vc, err, sizeof(err)) == 0);

	expect_invalid(config("seq", VM_NORMAL, 0, 4 * MIB, PATTERN_SZ_4K), vc, "--vcpus");
	expect_invalid(config("seq", VM_NORMAL, 65, 4 * MIB, PATTERN_SZ_4K), vc, "--vcpus");
	expect_invalid(config("seq", VM_NORMAL, 1, 4 * MIB, 8192), vc, "--page");
	expect_invalid(config("seq", VM_NORMAL, 1, 0, PATTERN_SZ_4K), vc, "--size");
	expect_invalid(config("seq", VM_NORMAL, 1, 65ULL << 30, PATTERN_SZ_4K), vc, "--size");
	expect_invalid(config("seq", VM_NORMAL, 1, 4 * MIB + 4096, PATTERN_SZ_2M), vc,
		       "--pattern seq");
	expect_invalid(config("block", VM_NORMAL, 1, 4 * MIB, PATTERN_SZ_4K), vc,
		       "--pattern block");
	struct run_config none = ok;
	none.pattern = NULL;
	expect_invalid(none, vc, "--pattern");

	struct vmm_config huge = { .backing = VMM_BACKING_HUGETLB };
	expect_invalid(ok, huge, "hugetlb");
	struct vmm_config thp = { .backing = VMM_BACKING_THP };
	expect_invalid(ok, thp, "THP");
	struct vmm_config anon = { .backing = VMM_BACKING_ANON };
	expect_invalid(config("block", VM_NORMAL, 1, 4 * MIB, PATTERN_SZ_2M), anon, "anonymous");

	int pins[2] = { 0, 100000 };
	struct run_config pinned = ok;
	pinned.pin_cpus = pins;
	expect_invalid(pinned, vc, "--pin: CPU 100000");
}

static void test_layout_and_params(void)
{
	struct run_config cfg = config("seq", VM_NORMAL, 2, 3 * MIB, PATTERN_SZ_4K);
	struct vmm_layout l;
	char err[256];

	CHECK(vmm_layout_compute(&cfg, &l, err, sizeof(err)) == 0);
	CHECK_EQ(l.data_ipa, RMEB_GUEST_DATA_IPA);
	CHECK_EQ(l.data_size, 6 * MIB);
	CHECK_EQ(l.results_ipa, l.data_ipa + l.data_size);
	CHECK_EQ(l.results_ipa % (2 * MIB), 0);
	CHECK_EQ(l.expected_first_touches, 2 * (3 * MIB / 4096));
	CHECK(l.samples_per_vcpu >= 3 * MIB / 4096);
	CHECK(l.results_size >= RMEB_RESULTS_HEADER_SIZE +
			       2 * l.samples_per_vcpu * sizeof(struct rmeb_guest_sample));
	CHECK_EQ(l.ram_end, l.results_ipa + l.results_size);
	CHECK_EQ(l.ipa_bits, 32);  /* everything below 4 GiB */

	/* A realm needs one more bit: the unprotected alias above all RAM. */
	struct run_config realm = config("shared", VM_REALM, 1, 2 * MIB, PATTERN_SZ_4K);
	struct vmm_layout lr;
	CHECK(vmm_layout_compute(&realm, &lr, err, sizeof(err)) == 0);
	CHECK_EQ(lr.ipa_bits, 33);
	CHECK((1ULL << (lr.ipa_bits - 1)) >= lr.ram_end);

	/* 8 GiB of data crosses 2^33. */
	struct run_config big = config("seq", VM_NORMAL, 2, 4ULL << 30, PATTERN_SZ_2M);
	CHECK(vmm_layout_compute(&big, &l, err, sizeof(err)) == 0);
	CHECK_EQ(l.ipa_bits, 34);

	struct rmeb_guest_params p;
	CHECK(vmm_layout_compute(&cfg, &l, err, sizeof(err)) == 0);
	vmm_params_fill(&cfg, &l, &p);
	CHECK_EQ(p.magic, RMEB_PARAMS_MAGIC);
	CHECK_EQ(p.version, RMEB_PARAMS_VERSION);
	CHECK_EQ(p.vcpus, 2);
	CHECK_EQ(p.size, 3 * MIB);
	CHECK_EQ(p.page, 4096);
	CHECK_EQ(p.results_ipa, l.results_ipa);
	CHECK_EQ(p.samples_per_vcpu, l.samples_per_vcpu);
	CHECK_EQ(p.flags & RMEB_PARAM_F_PORT, RMEB_PARAM_F_PORT);
	CHECK(strcmp(p.pattern, "seq") == 0);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_image_check(void)
{
	uint8_t img[4096] = { 0 };
	char err[256];

	CHECK(vmm_image_check(img, sizeof(img), err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "not an arm64 Image");
	memcpy(img + 56, "ARM\x64", 4);
	put64(img + 8, 0x1000);
	put64(img + 16, 0x100000);
	CHECK(vmm_image_check(img, sizeof(img), err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "text_offset");
	put64(img + 8, RMEB_GUEST_IMAGE_OFFSET);
	CHECK(vmm_image_check(img, sizeof(img), err, sizeof(err)) == 0);
	put64(img + 16, 64ULL << 20);
	CHECK(vmm_image_check(img, sizeof(img), err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "boot slot");
	CHECK(vmm_image_check(img, 10, err, sizeof(err)) == -1);
}

static void test_payload_find(void)
{
	char path[4096], err[256];
	CHECK(vmm_payload_find("/nonexistent/rmeb-guest.img", path, sizeof(path), err,
			       sizeof(err)) == -1);
	CHECK_CONTAINS(err, "--payload: cannot read '/nonexistent/rmeb-guest.img'");
	CHECK(vmm_payload_find("/proc/self/exe", path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strcmp(path, "/proc/self/exe") == 0);
	/* No option: the test binary's directory has no image. */
	if (vmm_payload_find(NULL, path, sizeof(path), err, sizeof(err)))
		CHECK_CONTAINS(err, "no rmeb-guest.img next to the rme-bench binary");
}

/* ---- a synthetic result area, as a guest writes it ---- */

struct fake {
	struct run_config cfg;
	struct vmm_layout l;
	uint8_t *mem;
};

static struct rmeb_guest_vcpu_result *fake_result(struct fake *f, unsigned v)
{
	return (struct rmeb_guest_vcpu_result *)(f->mem + v * sizeof(struct rmeb_guest_vcpu_result));
}

static struct rmeb_guest_sample *fake_samples(struct fake *f, unsigned v)
{
	return (struct rmeb_guest_sample *)(f->mem + RMEB_RESULTS_HEADER_SIZE +
					    v * f->l.samples_per_vcpu * sizeof(struct rmeb_guest_sample));
}

/* Every vCPU reports all its first touches at 62500 ticks (1 ms at
 * 62.5 MHz); vCPU v ran from tick 1000 + v to 2000 + 10 v. */
static void fake_build(struct fake *f, enum vm_type vm, unsigned vcpus)
{
	char err[256];
	f->cfg = config(vm == VM_REALM ? "shared" : "seq", vm, vcpus, 1 * MIB, PATTERN_SZ_4K);
	CHECK(vmm_layout_compute(&f->cfg, &f->l, err, sizeof(err)) == 0);
	f->mem = calloc(1, f->l.results_size);
	uint64_t per = f->l.expected_first_touches / vcpus;
	for (unsigned v = 0; v < vcpus; v++) {
		struct rmeb_guest_vcpu_result *r = fake_result(f, v);
		*r = (struct rmeb_guest_vcpu_result){
			.magic = RMEB_RESULTS_MAGIC, .realm = vm == VM_REALM, .cntfrq = 62500000,
			.start_ticks = 1000 + v, .end_ticks = 2000 + 10 * v, .n_samples = per,
			.accesses = per, .first_touches = per, .set_ripas = 3, .ripas_reissues = 1,
		};
		for (uint64_t i = 0; i < per; i++)
			fake_samples(f, v)[i] = (struct rmeb_guest_sample){
				.ipa = f->l.data_ipa + v * MIB + i * 4096, .ticks = 62500,
				.vcpu = (uint16_t)v, .write = 1,
				.kind = vm == VM_REALM && i % 2 ? RMEB_SAMPLE_SHARED : RMEB_SAMPLE_ACCESS,
			};
	}
}

static uint64_t count_of(const struct run_result *res, const char *name)
{
	for (size_t i = 0; i < res->n_counts; i++)
		if (!strcmp(res->counts[i].name, name))
			return res->counts[i].count;
	return UINT64_MAX;
}

static void test_collect_ok(void)
{
	struct fake f;
	struct run_result res = { 0 };
	fake_build(&f, VM_NORMAL, 2);
	CHECK(vmm_collect(&f.cfg, &f.l, f.mem, f.l.results_size, &res) == 0);
	CHECK_EQ(res.n_faults, 512);
	CHECK_EQ(res.guest_first_touches, 512);
	CHECK_EQ(res.guest_accesses, 512);
	CHECK_EQ(res.faults[0].total_ns, 1000000);
	CHECK_EQ(res.faults[0].stage_ns[STAGE_UNATTRIBUTED], 1000000);
	CHECK_EQ(res.faults[0].kind, FAULT_NORMAL);
	CHECK_EQ(res.faults[0].level, 3);
	CHECK_EQ(res.faults[511].vcpu, 1);
	CHECK_EQ(res.total_ns, (2010 - 1000) * 16);  /* 16 ns per tick */
	CHECK_EQ(count_of(&res, "GUEST_RSI_IPA_STATE_SET"), 6);
	CHECK_EQ(count_of(&res, "GUEST_RSI_REISSUES"), 2);
	free(res.faults);
	free(f.mem);

	/* A realm's alias accesses become unprotected faults. */
	fake_build(&f, VM_REALM, 1);
	memset(&res, 0, sizeof(res));
	CHECK(vmm_collect(&f.cfg, &f.l, f.mem, f.l.results_size, &res) == 0);
	CHECK(res.n_faults >= 2);
	CHECK_EQ(res.faults[0].kind, FAULT_PROTECTED);
	CHECK_EQ(res.faults[1].kind, FAULT_UNPROTECTED);
	free(res.faults);
	free(f.mem);
}

static void expect_collect_error(struct fake *f, const char *needle)
{
	struct run_result res = { 0 };
	CHECK(vmm_collect(&f->cfg, &f->l, f->mem, f->l.results_size, &res) == -1);
	CHECK_CONTAINS(res.error, needle);
	CHECK(res.faults == NULL && res.n_faults == 0);
	free(f->mem);
}

static void test_collect_rejects(void)
{
	struct fake f;
	struct run_result res = { 0 };

	fake_build(&f, VM_NORMAL, 2);
	fake_result(&f, 1)->magic = 0;
	expect_collect_error(&f, "guest vCPU 1 wrote no result");

	fake_build(&f, VM_NORMAL, 2);
	fake_result(&f, 0)->status = 1;
	strcpy(fake_result(&f, 0)->message, "RSI_IPA_STATE_SET failed");
	expect_collect_error(&f, "guest vCPU 0 failed: RSI_IPA_STATE_SET failed");

	fake_build(&f, VM_NORMAL, 1);
	fake_result(&f, 0)->realm = 1;
	expect_collect_error(&f, "ran as a realm but a normal VM was asked for");

	fake_build(&f, VM_NORMAL, 1);
	fake_result(&f, 0)->n_samples = f.l.samples_per_vcpu + 1;
	expect_collect_error(&f, "capacity");

	fake_build(&f, VM_NORMAL, 1);
	fake_samples(&f, 0)[3].ipa = RMEB_GUEST_RAM_IPA;
	expect_collect_error(&f, "sample 3 is malformed");

	fake_build(&f, VM_NORMAL, 2);
	fake_samples(&f, 1)[0].vcpu = 0;
	expect_collect_error(&f, "guest vCPU 1 sample 0 is malformed");

	fake_build(&f, VM_NORMAL, 1);
	fake_result(&f, 0)->cntfrq = 0;
	expect_collect_error(&f, "CNTFRQ_EL0 = 0");

	fake_build(&f, VM_NORMAL, 2);
	fake_result(&f, 1)->cntfrq = 1000;
	expect_collect_error(&f, "disagree on CNTFRQ_EL0");

	fake_build(&f, VM_NORMAL, 1);
	fake_result(&f, 0)->end_ticks = 0;
	expect_collect_error(&f, "ended before it started");

	fake_build(&f, VM_NORMAL, 1);
	CHECK(vmm_collect(&f.cfg, &f.l, f.mem, 4096, &res) == -1);
	CHECK_CONTAINS(res.error, "result area is 4096 bytes");
	free(f.mem);
}

static void test_host_check(void)
{
	struct run_config cfg = config("seq", VM_NORMAL, 1, 2 * MIB, PATTERN_SZ_4K);
	struct vmm_config vc = { .kvm_path = "/nonexistent/kvm" };
	struct utsname u;
	char err[256];

	CHECK(uname(&u) == 0);
	CHECK(vmm_host_check(&cfg, &vc, err, sizeof(err)) == -1);
	if (strcmp(u.machine, "aarch64"))
		CHECK_CONTAINS(err, "needs an arm64 host");
	else
		CHECK_CONTAINS(err, "cannot open /nonexistent/kvm");

	/* vmm_run refuses before touching KVM when the arguments are bad. */
	struct run_result res;
	cfg.vcpus = 0;
	CHECK(vmm_run(&cfg, &vc, &res) == -1);
	CHECK_CONTAINS(res.error, "--vcpus");
}

/* Boot registers: a realm's PSTATE is the RMM's (the CCA series refuses
 * KVM_SET_ONE_REG of anything but X0-X30 and PC with EINVAL, as the first
 * realm run on TF-RMM showed); a normal VM gets EL1h, DAIF masked. */
static void test_boot_regs(void)
{
	struct vmm_boot_reg r[VMM_MAX_BOOT_REGS];
	size_t n = vmm_boot_regs(VM_REALM, r);

	CHECK(n == 2);
	for (size_t i = 0; i < n; i++)
		CHECK(r[i].id == RMEB_ARM64_REG_PC || (r[i].id >= RMEB_ARM64_REG_X(0) &&
						       r[i].id <= RMEB_ARM64_REG_X(30)));
	n = vmm_boot_regs(VM_NORMAL, r);
	CHECK(n == 3);
	CHECK(r[2].id == RMEB_ARM64_REG_PSTATE && r[2].value == RMEB_ARM64_PSTATE_EL1H_MASKED);
	CHECK(r[0].id == RMEB_ARM64_REG_PC && r[0].value == RMEB_GUEST_IMAGE_IPA);
}

/* KVM_EXIT_MEMORY_FAULT comes with -1/EFAULT (the realm run on TF-RMM
 * stopped there before this): an exit, not a failure. */
static void test_run_outcome(void)
{
	CHECK(vmm_run_outcome(0, 0, RMEB_KVM_EXIT_MMIO) == VMM_RUN_EXIT);
	CHECK(vmm_run_outcome(-1, EFAULT, RMEB_KVM_EXIT_MEMORY_FAULT) == VMM_RUN_EXIT);
	CHECK(vmm_run_outcome(-1, EHWPOISON, RMEB_KVM_EXIT_MEMORY_FAULT) == VMM_RUN_EXIT);
	CHECK(vmm_run_outcome(-1, EFAULT, RMEB_KVM_EXIT_MMIO) == VMM_RUN_FAILED);
	CHECK(vmm_run_outcome(-1, EINVAL, RMEB_KVM_EXIT_MEMORY_FAULT) == VMM_RUN_FAILED);
	CHECK(vmm_run_outcome(-1, EINTR, 0) == VMM_RUN_AGAIN);
	CHECK(vmm_run_outcome(-1, EAGAIN, 0) == VMM_RUN_AGAIN);
}

int main(void)
{
	test_boot_regs();
	test_run_outcome();
	test_validate();
	test_layout_and_params();
	test_image_check();
	test_payload_find();
	test_collect_ok();
	test_collect_rejects();
	test_host_check();
	return check_status("test_vmm_host");
}
