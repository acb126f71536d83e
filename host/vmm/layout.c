/*
 * The host-independent half of the VMM: argument checks, the guest memory
 * map, the parameter page, the payload image, and decoding what the guest
 * wrote back. No KVM here, so all of it is unit-tested on any machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock/stage.h"
#include "errf.h"
#include "vmm/kvm_uapi.h"
#include "vmm/vmm.h"

#define SZ_2M (2ULL << 20)
#define MAX_BYTES_PER_VCPU (64ULL << 30)

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

enum vmm_run_outcome vmm_run_outcome(int ret, int err, uint32_t exit_reason)
{
	if (ret >= 0)
		return VMM_RUN_EXIT;
	if (err == EINTR || err == EAGAIN)
		return VMM_RUN_AGAIN;
	/* KVM_EXIT_MEMORY_FAULT is the one exit that comes with -1: errno
	 * EFAULT (or EHWPOISON), the exit described in kvm_run as usual. */
	if ((err == EFAULT || err == EHWPOISON) && exit_reason == RMEB_KVM_EXIT_MEMORY_FAULT)
		return VMM_RUN_EXIT;
	return VMM_RUN_FAILED;
}

size_t vmm_boot_regs(enum vm_type vm, struct vmm_boot_reg *out)
{
	size_t n = 0;

	out[n++] = (struct vmm_boot_reg){ "PC", RMEB_ARM64_REG_PC, RMEB_GUEST_IMAGE_IPA };
	out[n++] = (struct vmm_boot_reg){ "X0", RMEB_ARM64_REG_X(0), 0 };
	/* A realm's PSTATE is the RMM's: a REC starts at EL1h with DAIF
	 * masked, and the CCA series lets the VMM set only X0-X30 and PC
	 * (kvm_realm_validate_core_reg: anything else is EINVAL). */
	if (vm != VM_REALM)
		out[n++] = (struct vmm_boot_reg){ "PSTATE", RMEB_ARM64_REG_PSTATE,
						  RMEB_ARM64_PSTATE_EL1H_MASKED };
	return n;
}

uint64_t vmm_kernel_map_page(const struct run_config *cfg)
{
	/* The CCA series (v14 and every guest_memfd version before it) maps
	 * realm faults at PAGE_SIZE: private_memslot_fault() passes PAGE_SIZE
	 * ("FIXME: Should be able to use bigger than PAGE_SIZE mappings") and
	 * user_mem_abort() forces page mappings for realms. A normal VM gets a
	 * whole backing page. */
	return cfg->vm == VM_REALM ? PATTERN_SZ_4K : 0;
}

int vmm_validate(const struct run_config *cfg, const struct vmm_config *vc, char *err,
		 size_t len)
{
	struct pattern_iter it;
	char perr[200];

	if (!cfg->pattern)
		return errf(err, len, "--pattern: no pattern given");
	if (cfg->vcpus == 0 || cfg->vcpus > VMM_MAX_VCPUS)
		return errf(err, len, "--vcpus: the kvm backend runs 1 to %d vCPUs (%u given)",
			    VMM_MAX_VCPUS, cfg->vcpus);
	if (cfg->page != PATTERN_SZ_4K && cfg->page != PATTERN_SZ_2M)
		return errf(err, len, "--page: the kvm backend backs memory with 4K or 2M pages");
	if (cfg->size == 0 || cfg->size > MAX_BYTES_PER_VCPU)
		return errf(err, len, "--size: between one page and 64G per vCPU on the kvm backend");
	if (vc->backing == VMM_BACKING_HUGETLB && cfg->page != PATTERN_SZ_2M)
		return errf(err, len, "--page: hugetlb backing needs --page 2M");
	if (vc->backing == VMM_BACKING_THP && cfg->page != PATTERN_SZ_2M)
		return errf(err, len, "--page: THP backing needs --page 2M");
	if (vc->backing == VMM_BACKING_ANON && cfg->page != PATTERN_SZ_4K)
		return errf(err, len, "--page: plain anonymous backing is --page 4K");
	for (unsigned v = 0; v < cfg->vcpus; v++) {
		struct pattern_params pp = {
			.size = cfg->size, .page = cfg->page, .vcpus = cfg->vcpus, .vcpu = v,
			.seed = cfg->seed, .realm = cfg->vm == VM_REALM, .overlap = cfg->overlap,
			.map_page = vmm_kernel_map_page(cfg),
		};
		if (pattern_iter_start(&it, cfg->pattern, &pp, perr, sizeof(perr)))
			return errf(err, len, "--pattern %s: %s", cfg->pattern->name, perr);
	}
	if (cfg->pin_cpus) {
		long ncpu = sysconf(_SC_NPROCESSORS_CONF);
		for (unsigned v = 0; v < cfg->vcpus; v++)
			if (cfg->pin_cpus[v] < 0 || cfg->pin_cpus[v] >= ncpu)
				return errf(err, len, "--pin: CPU %d does not exist (this host has %ld)",
					    cfg->pin_cpus[v], ncpu);
	}
	if (strlen(cfg->pattern->name) >= RMEB_PATTERN_NAME_LEN)
		return errf(err, len, "--pattern: name '%s' too long for the guest",
			    cfg->pattern->name);
	return 0;
}

static unsigned bits_for(uint64_t end)
{
	unsigned b = 32;
	while (b < 64 && (1ULL << b) < end)
		b++;
	return b;
}

int vmm_layout_compute(const struct run_config *cfg, struct vmm_layout *l, char *err,
		       size_t len)
{
	uint64_t per_vcpu_max = 0, total = 0;
	char perr[200];

	*l = (struct vmm_layout){ .data_ipa = RMEB_GUEST_DATA_IPA };
	for (unsigned v = 0; v < cfg->vcpus; v++) {
		struct pattern_counts pc;
		struct pattern_params pp = {
			.size = cfg->size, .page = cfg->page, .vcpus = cfg->vcpus, .vcpu = v,
			.seed = cfg->seed, .realm = cfg->vm == VM_REALM, .overlap = cfg->overlap,
			.map_page = vmm_kernel_map_page(cfg),
		};
		if (pattern_count(cfg->pattern, &pp, &pc, perr, sizeof(perr)))
			return errf(err, len, "--pattern %s: %s", cfg->pattern->name, perr);
		/* One sample per first touch and per RSI call (re-issues included:
		 * allow each SET_RIPAS a few). */
		uint64_t need = pc.first_touches + 4 * pc.set_ripas;
		if (need > per_vcpu_max)
			per_vcpu_max = need;
		total += pc.first_touches;
	}
	l->expected_first_touches = total;
	l->samples_per_vcpu = per_vcpu_max ? per_vcpu_max : 1;
	l->data_size = round_up(cfg->overlap ? cfg->size : cfg->size * cfg->vcpus, SZ_2M);
	l->results_ipa = l->data_ipa + l->data_size;
	l->results_size = round_up(RMEB_RESULTS_HEADER_SIZE + l->samples_per_vcpu * cfg->vcpus *
				   sizeof(struct rmeb_guest_sample), SZ_2M);
	l->ram_end = l->results_ipa + l->results_size;
	/* A realm's alias bit (the top IPA bit) must lie above all RAM. */
	l->ipa_bits = bits_for(l->ram_end) + (cfg->vm == VM_REALM ? 1 : 0);
	if (l->ipa_bits > 48)
		return errf(err, len, "--size: %llu bytes of guest memory need a %u-bit IPA space "
			    "(the payload maps at most 48 bits)",
			    (unsigned long long)(l->ram_end - RMEB_GUEST_RAM_IPA), l->ipa_bits);
	return 0;
}

void vmm_params_fill(const struct run_config *cfg, const struct vmm_layout *l,
		     struct rmeb_guest_params *p)
{
	*p = (struct rmeb_guest_params){
		.magic = RMEB_PARAMS_MAGIC,
		.version = RMEB_PARAMS_VERSION,
		.vcpus = cfg->vcpus,
		.size = cfg->size,
		.page = cfg->page,
		.map_page = vmm_kernel_map_page(cfg),
		.seed = cfg->seed,
		.data_ipa = l->data_ipa,
		.data_size = l->data_size,
		.results_ipa = l->results_ipa,
		.results_size = l->results_size,
		.samples_per_vcpu = l->samples_per_vcpu,
		.overlap = cfg->overlap ? 1 : 0,
		.flags = RMEB_PARAM_F_PORT,
	};
	snprintf(p->pattern, sizeof(p->pattern), "%s", cfg->pattern->name);
}

/* arm64 Image header: code0, code1, text_offset, image_size, flags,
 * res2..4, magic "ARM\x64" at byte 56. */
#define IMAGE_MAGIC_OFFSET 56
#define IMAGE_HEADER_SIZE 64

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int vmm_image_check(const uint8_t *img, size_t len, char *err, size_t errlen)
{
	if (len < IMAGE_HEADER_SIZE || memcmp(img + IMAGE_MAGIC_OFFSET, "ARM\x64", 4))
		return errf(err, errlen, "--payload: not an arm64 Image (no 'ARM\\x64' magic)");
	if (le64(img + 8) != RMEB_GUEST_IMAGE_OFFSET)
		return errf(err, errlen, "--payload: text_offset 0x%llx, this VMM loads images at "
			    "RAM + 0x%llx", (unsigned long long)le64(img + 8),
			    (unsigned long long)RMEB_GUEST_IMAGE_OFFSET);
	uint64_t image_size = le64(img + 16);
	if (image_size < len || image_size > VMM_MAX_IMAGE)
		return errf(err, errlen, "--payload: image size %llu does not fit the %llu-byte "
			    "boot slot", (unsigned long long)image_size,
			    (unsigned long long)VMM_MAX_IMAGE);
	return 0;
}

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

int vmm_payload_find(const char *option, char *out, size_t out_len, char *err, size_t errlen)
{
	static const char *const rel[] = {
		"rmeb-guest.img",
		"../guest-payloads/aarch64/rmeb-guest.img",
		"../share/rme-bench/rmeb-guest.img",
	};
	char exe[PATH_MAX];

	if (option) {
		if (!readable(option))
			return errf(err, errlen, "--payload: cannot read '%s': %s", option,
				    strerror(errno));
		snprintf(out, out_len, "%s", option);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return errf(err, errlen, "--payload: not given and /proc/self/exe unreadable");
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		slash[1] = 0;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		int w = snprintf(out, out_len, "%s%s", exe, rel[i]);
		if (w > 0 && (size_t)w < out_len && readable(out))
			return 0;
	}
	return errf(err, errlen, "--payload: not given, and no rmeb-guest.img next to the "
		    "rme-bench binary, in ../guest-payloads/aarch64/ or ../share/rme-bench/ "
		    "(build it with aarch64-linux-gnu-gcc installed)");
}

/* ---- decoding the guest's results ---- */

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t freq)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000ULL) / freq);
}

static int collect_fail(struct run_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int collect_fail(struct run_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	free(res->faults);
	res->faults = NULL;
	res->n_faults = 0;
	return -1;
}

static void add_count(struct run_result *res, const char *name, uint64_t v)
{
	for (size_t i = 0; i < res->n_counts; i++)
		if (!strcmp(res->counts[i].name, name)) {
			res->counts[i].count += v;
			return;
		}
	if (res->n_counts < RUN_MAX_COUNTS)
		res->counts[res->n_counts++] = (struct results_count){ name, v };
}

static enum fault_kind sample_kind(const struct run_config *cfg, uint8_t kind)
{
	if (kind == RMEB_SAMPLE_RIPAS)
		return FAULT_RIPAS_CHANGE;
	if (cfg->vm != VM_REALM)
		return FAULT_NORMAL;
	return kind == RMEB_SAMPLE_SHARED ? FAULT_UNPROTECTED : FAULT_PROTECTED;
}

static int check_vcpu_result(const struct run_config *cfg, const struct vmm_layout *l,
			     const struct rmeb_guest_vcpu_result *r, unsigned v,
			     struct run_result *res)
{
	if (r->magic != RMEB_RESULTS_MAGIC)
		return collect_fail(res, "guest vCPU %u wrote no result", v);
	if (r->status) {
		char msg[sizeof(r->message) + 1];
		memcpy(msg, r->message, sizeof(r->message));
		msg[sizeof(r->message)] = 0;
		return collect_fail(res, "guest vCPU %u failed: %s", v, msg);
	}
	if (r->realm != (cfg->vm == VM_REALM))
		return collect_fail(res, "guest vCPU %u ran as a %s but a %s was asked for", v,
				    r->realm ? "realm" : "normal VM",
				    cfg->vm == VM_REALM ? "realm" : "normal VM");
	if (r->n_samples > l->samples_per_vcpu)
		return collect_fail(res, "guest vCPU %u reports %llu samples, capacity %llu", v,
				    (unsigned long long)r->n_samples,
				    (unsigned long long)l->samples_per_vcpu);
	if (r->cntfrq == 0)
		return collect_fail(res, "guest vCPU %u reports CNTFRQ_EL0 = 0", v);
	if (r->end_ticks < r->start_ticks)
		return collect_fail(res, "guest vCPU %u: pattern ended before it started", v);
	return 0;
}

int vmm_collect(const struct run_config *cfg, const struct vmm_layout *l,
		const void *results, size_t results_len, struct run_result *res)
{
	const uint8_t *base = results;
	uint64_t first_start = UINT64_MAX, last_end = 0, freq = 0, n = 0;

	res->faults = NULL;
	res->n_faults = 0;
	if (results_len < l->results_size)
		return collect_fail(res, "result area is %zu bytes, layout needs %llu", results_len,
				    (unsigned long long)l->results_size);
	for (unsigned v = 0; v < cfg->vcpus; v++) {
		struct rmeb_guest_vcpu_result r;
		memcpy(&r, base + v * sizeof(r), sizeof(r));
		if (check_vcpu_result(cfg, l, &r, v, res))
			return -1;
		if (freq && r.cntfrq != freq)
			return collect_fail(res, "guest vCPUs disagree on CNTFRQ_EL0");
		freq = r.cntfrq;
		n += r.n_samples;
	}
	res->faults = calloc(n ? n : 1, sizeof(*res->faults));
	if (!res->faults)
		return collect_fail(res, "out of memory for %llu fault records",
				    (unsigned long long)n);
	for (unsigned v = 0; v < cfg->vcpus; v++) {
		struct rmeb_guest_vcpu_result r;
		memcpy(&r, base + v * sizeof(r), sizeof(r));
		const uint8_t *s = base + RMEB_RESULTS_HEADER_SIZE +
				   (uint64_t)v * l->samples_per_vcpu * sizeof(struct rmeb_guest_sample);
		for (uint64_t i = 0; i < r.n_samples; i++) {
			struct rmeb_guest_sample gs;
			memcpy(&gs, s + i * sizeof(gs), sizeof(gs));
			if (gs.vcpu != v || gs.kind > RMEB_SAMPLE_RIPAS || gs.ipa < l->data_ipa ||
			    gs.ipa >= l->data_ipa + l->data_size)
				return collect_fail(res, "guest vCPU %u sample %llu is malformed "
						    "(vcpu %u, kind %u, ipa 0x%llx)", v,
						    (unsigned long long)i, gs.vcpu, gs.kind,
						    (unsigned long long)gs.ipa);
			struct fault_record *f = &res->faults[res->n_faults++];
			uint64_t ns = ticks_to_ns(gs.ticks, freq);
			*f = (struct fault_record){
				.ipa = gs.ipa, .total_ns = ns, .vcpu = v,
				.kind = (uint8_t)sample_kind(cfg, gs.kind),
				.level = cfg->page == PATTERN_SZ_2M ? 2 : 3,
			};
			f->stage_ns[STAGE_UNATTRIBUTED] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
		}
		res->dropped_faults += r.dropped;
		res->guest_accesses += r.accesses;
		res->guest_first_touches += r.first_touches;
		add_count(res, "GUEST_RSI_IPA_STATE_SET", r.set_ripas);
		add_count(res, "GUEST_RSI_REISSUES", r.ripas_reissues);
		if (r.start_ticks < first_start)
			first_start = r.start_ticks;
		if (r.end_ticks > last_end)
			last_end = r.end_ticks;
	}
	res->total_ns = ticks_to_ns(last_end - first_start, freq);
	return 0;
}
