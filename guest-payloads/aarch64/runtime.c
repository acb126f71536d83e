/*
 * The aarch64 bare-metal payload: boots each vCPU at EL1, turns on an
 * identity-mapped stage-1 MMU with caches, asks RSI whether it is a realm,
 * runs one pattern per vCPU (the same pattern sources as the sim backend)
 * timing every first touch with CNTVCT_EL0, stores the samples where the
 * VMM can read them (boot_abi.h) and powers the VM off with PSCI.
 *
 * Conduits: PSCI goes through HVC in a normal VM and through SMC in a
 * realm (the RMM forwards realm PSCI calls to the host) or when the
 * image was entered at EL2 (QEMU's PSCI is then reached by SMC). RSI always uses
 * SMC; in a normal VM the probe either returns SMCCC NOT_SUPPORTED (KVM)
 * or traps as UNDEFINED (no EL3): both mean "not a realm".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/rsi.h>
#include <payload/pattern.h>
#include <rmeb_guest/boot_abi.h>
#include <rmeb_guest/insn_markers.h>

#include "runtime.h"

/* ---- system registers and barriers ---- */

#define read_sysreg(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((uint64_t)(v)))
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

/* Instruction-accounting marker (rmeb_guest/insn_markers.h): an
 * unallocated HINT, a NOP unless rme-bench's QEMU plugin watches; x0/x1
 * carry its arguments. The memory clobber keeps it in program order with
 * the touch it brackets. */
#define insn_mark(imm, a0, a1) do {                                              \
	register uint64_t x0_ __asm__("x0") = (a0);                              \
	register uint64_t x1_ __asm__("x1") = (a1);                              \
	__asm__ volatile("hint %2" :: "r"(x0_), "r"(x1_), "i"(imm) : "memory");  \
} while (0)

static inline uint64_t counter_now(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(v) :: "memory");
	return v;
}

/* ---- SMCCC ---- */

#define SMCCC_NOT_SUPPORTED ((uint64_t)-1)
#define PSCI_CPU_OFF     0x84000002ULL
#define PSCI_CPU_ON      0xC4000003ULL
#define PSCI_SYSTEM_OFF  0x84000008ULL
#define PSCI_RET_SUCCESS 0

struct rmeb_smccc {
	uint64_t x[8];
};

void rmeb_smc(struct rmeb_smccc *r);
void rmeb_hvc(struct rmeb_smccc *r);
extern char rmeb_smc_insn[];
extern char rmeb_secondary_entry[];

/* ---- shared state (set up by vCPU 0 before any secondary starts) ---- */

struct guest_state {
	bool realm;
	bool psci_smc;               /* PSCI conduit: SMC (realm, or an EL2 boot) */
	bool configured;             /* the VMM wrote a parameter page */
	uint64_t alias;              /* realm: unprotected IPA bit; else 0 */
	uint64_t ipa_width;
	struct rmeb_guest_params p;
	const struct pattern *pattern;
	volatile uint32_t finished;  /* vCPUs done with their pattern */
	volatile uint32_t failed;
};

static struct guest_state g;

/* Written with the MMU off by vCPU 0, read with the MMU off by the others. */
static volatile uint64_t mmu_ttbr, mmu_tcr, mmu_mair;

/* RSI_REALM_CONFIG writes a 4 KiB RsiRealmConfig; ipa_width is its first word. */
static uint64_t realm_config[512] __attribute__((aligned(4096)));

#define NR_L1_TABLES 4
static uint64_t l0_table[512] __attribute__((aligned(4096)));
static uint64_t l1_tables[NR_L1_TABLES][512] __attribute__((aligned(4096)));
static unsigned l1_used;

uint8_t rmeb_stacks[RMEB_GUEST_MAX_VCPUS * RMEB_GUEST_STACK_SIZE]
	__attribute__((section(".stacks"), aligned(16)));

/* ---- console ---- */

static volatile uint32_t *uart_reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)((RMEB_GUEST_UART_IPA | g.alias) + off);
}

static void console_putc(char c)
{
	while (*uart_reg(RMEB_PL011_FR) & RMEB_PL011_FR_TXFF)
		;
	*uart_reg(RMEB_PL011_DR) = (uint8_t)c;
}

void rmeb_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			console_putc('\r');
		console_putc(*s);
	}
}

void rmeb_put_u64(uint64_t v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rmeb_puts(buf + i);
}

void rmeb_put_hex(uint64_t v)
{
	char buf[19];
	buf[0] = '0';
	buf[1] = 'x';
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = 0;
	rmeb_puts(buf);
}

/* ---- the rme-bench port ---- */

static void port_write(unsigned reg, uint64_t v)
{
	if (!(g.p.flags & RMEB_PARAM_F_PORT))
		return;
	*(volatile uint64_t *)(uintptr_t)((RMEB_GUEST_PORT_IPA | g.alias) + reg) = v;
}

/* ---- PSCI ---- */

static uint64_t psci(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct rmeb_smccc r = { { fid, a1, a2, a3 } };
	if (g.psci_smc)
		rmeb_smc(&r);
	else
		rmeb_hvc(&r);
	return r.x[0];
}

static __attribute__((noreturn)) void system_off(void)
{
	psci(PSCI_SYSTEM_OFF, 0, 0, 0);
	rmeb_puts("rmeb-guest: PSCI SYSTEM_OFF returned\n");
	for (;;)
		__asm__ volatile("wfi");
}

/* KVM's default MPIDR for vCPU i (and QEMU virt's for i < 16): Aff0 = i % 16,
 * Aff1 = i / 16. */
static uint64_t vcpu_mpidr(unsigned i)
{
	return (uint64_t)(i % 16) | ((uint64_t)(i / 16) << 8);
}

/* ---- exceptions ---- */

struct exc_frame {
	uint64_t x[31];
	uint64_t elr, spsr, esr;
};

void rmeb_exception(struct exc_frame *f, uint64_t vector)
{
	uint64_t ec = (f->esr >> 26) & 0x3f;

	/* An UNDEFINED SMC at the probe: no RSI here, report NOT_SUPPORTED. */
	if (ec == 0 && f->elr == (uint64_t)(uintptr_t)rmeb_smc_insn) {
		f->x[0] = SMCCC_NOT_SUPPORTED;
		f->elr += 4;
		return;
	}
	rmeb_puts("rmeb-guest: unexpected exception vector ");
	rmeb_put_u64(vector);
	rmeb_puts(" esr ");
	rmeb_put_hex(f->esr);
	rmeb_puts(" elr ");
	rmeb_put_hex(f->elr);
	rmeb_puts(" far ");
	rmeb_put_hex(read_sysreg(far_el1));
	rmeb_puts("\n");
	port_write(RMEB_PORT_DONE, 0xE0000000ULL | ec);
	system_off();
}

/* ---- RSI ---- */

static void rsi_detect(void)
{
	struct rmeb_smccc r = { { RSI_VERSION, (1ULL << 16) | 0 } };
	rmeb_smc(&r);
	/* RSI 1.x answers SUCCESS or ERROR_INPUT with the revisions it has;
	 * anything else (NOT_SUPPORTED, UNDEF) is a normal VM. */
	if (r.x[0] != RSI_SUCCESS && r.x[0] != RSI_ERROR_INPUT)
		return;
	struct rmeb_smccc c = { { RSI_REALM_CONFIG, (uint64_t)(uintptr_t)realm_config } };
	rmeb_smc(&c);
	if (c.x[0] != RSI_SUCCESS)
		return;
	g.realm = true;
	g.ipa_width = realm_config[0];
	g.alias = 1ULL << (g.ipa_width - 1);
}

/*
 * RSI_IPA_STATE_SET over [base, top): the RMM may stop early (the host
 * handled part of the range); the guest re-issues from the returned
 * next address until the whole range is done. A REJECT, an error or a
 * call that makes no progress ends it with -1.
 */
static int rsi_set_ripas(uint64_t base, uint64_t top, uint8_t ripas, uint64_t *calls,
			 uint64_t *reissues)
{
	while (base < top) {
		struct rmeb_smccc r = { { RSI_IPA_STATE_SET, base, top, ripas,
					  RSI_CHANGE_DESTROYED } };
		rmeb_smc(&r);
		(*calls)++;
		if (r.x[0] != RSI_SUCCESS || r.x[2] == RSI_REJECT || r.x[1] <= base)
			return -1;
		if (r.x[1] < top)
			(*reissues)++;
		base = r.x[1];
	}
	return 0;
}

/* ---- stage-1 MMU ---- */

#define DESC_TABLE    3ULL
#define DESC_BLOCK    1ULL
#define DESC_AF       (1ULL << 10)
#define DESC_SH_INNER (3ULL << 8)
#define DESC_ATTR(i)  ((uint64_t)(i) << 2)
#define DESC_PXN      (1ULL << 53)
#define DESC_UXN      (1ULL << 54)
#define MAIR_DEVICE   0     /* attr index 0: Device-nGnRnE */
#define MAIR_NORMAL   1     /* attr index 1: Normal WB RW-allocate */
#define GIB           (1ULL << 30)

static int map_gib(uint64_t va, bool device)
{
	uint64_t *l0e = &l0_table[(va >> 39) & 511];
	if (!(*l0e & 1)) {
		if (l1_used == NR_L1_TABLES)
			return -1;
		*l0e = (uint64_t)(uintptr_t)l1_tables[l1_used++] | DESC_TABLE;
	}
	uint64_t *l1 = (uint64_t *)(uintptr_t)(*l0e & 0x0000fffffffff000ULL);
	l1[(va >> 30) & 511] = va | DESC_BLOCK | DESC_AF |
		(device ? DESC_ATTR(MAIR_DEVICE) | DESC_PXN | DESC_UXN
			: DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER);
	return 0;
}

/* Identity map: [0, 1G) device (UART, port), RAM above it normal; in a
 * realm the same again through the unprotected alias. */
static int mmu_build(void)
{
	uint64_t ram_top = g.realm && g.alias < (512 * GIB) ? g.alias : 512 * GIB;
	if (map_gib(0, true))
		return -1;
	for (uint64_t va = GIB; va < ram_top && va < 16 * GIB; va += GIB)
		if (map_gib(va, false))
			return -1;
	if (g.realm) {
		if (g.alias < GIB || g.ipa_width > 48)
			return -1;
		if (map_gib(g.alias, true))
			return -1;
		for (uint64_t va = g.alias + GIB; va < g.alias + 16 * GIB; va += GIB)
			if (map_gib(va, false))
				return -1;
	}
	/* Tables were written with the MMU off; drop any stale cached copy. */
	for (uintptr_t a = (uintptr_t)l0_table; a < (uintptr_t)(l1_tables + NR_L1_TABLES); a += 64)
		__asm__ volatile("dc civac, %0" :: "r"(a) : "memory");
	dsb(sy);

	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	mmu_mair = 0x00ULL | (0xffULL << 8);
	mmu_tcr = 16ULL               /* T0SZ: 48-bit VA */
		| (1ULL << 8)         /* IRGN0 WB */
		| (1ULL << 10)        /* ORGN0 WB */
		| (3ULL << 12)        /* SH0 inner shareable */
		| (0ULL << 14)        /* TG0 4K */
		| (1ULL << 23)        /* EPD1: no TTBR1 walks */
		| (parange << 32);    /* IPS */
	mmu_ttbr = (uint64_t)(uintptr_t)l0_table;
	dsb(sy);
	return 0;
}

static void mmu_enable(void)
{
	write_sysreg(mair_el1, mmu_mair);
	write_sysreg(tcr_el1, mmu_tcr);
	write_sysreg(ttbr0_el1, mmu_ttbr);
	isb();
	__asm__ volatile("tlbi vmalle1; dsb nsh; ic iallu; dsb nsh" ::: "memory");
	isb();
	uint64_t sctlr = read_sysreg(sctlr_el1);
	sctlr |= (1ULL << 0) | (1ULL << 2) | (1ULL << 12);  /* M, C, I */
	sctlr &= ~(1ULL << 1);                              /* A: no alignment check */
	write_sysreg(sctlr_el1, sctlr);
	isb();
}

static bool mmu_is_on(void)
{
	return (read_sysreg(sctlr_el1) & 5) == 5;
}

/* ---- results ---- */

static struct rmeb_guest_vcpu_result *vcpu_result(unsigned v)
{
	return (struct rmeb_guest_vcpu_result *)(uintptr_t)((g.p.results_ipa | g.alias) +
							      v * sizeof(struct rmeb_guest_vcpu_result));
}

static struct rmeb_guest_sample *vcpu_samples(unsigned v)
{
	return (struct rmeb_guest_sample *)(uintptr_t)((g.p.results_ipa | g.alias) +
			RMEB_RESULTS_HEADER_SIZE +
			(uint64_t)v * g.p.samples_per_vcpu * sizeof(struct rmeb_guest_sample));
}

static void copy_message(char *dst, size_t len, const char *a, const char *b)
{
	size_t i = 0;
	for (; a && *a && i + 1 < len; a++)
		dst[i++] = *a;
	for (; b && *b && i + 1 < len; b++)
		dst[i++] = *b;
	dst[i] = 0;
}

static void fail(struct rmeb_guest_vcpu_result *r, unsigned vcpu, const char *what,
		 const char *detail)
{
	r->status = 1;
	copy_message(r->message, sizeof(r->message), what, detail);
	rmeb_puts("rmeb-guest: vcpu ");
	rmeb_put_u64(vcpu);
	rmeb_puts(": ");
	rmeb_puts(r->message);
	rmeb_puts("\n");
	__atomic_fetch_add(&g.failed, 1, __ATOMIC_RELAXED);
}

/* ---- the pattern ---- */

static inline uint32_t sat32(uint64_t v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (uint32_t)v;
}

static void record(struct rmeb_guest_vcpu_result *r, struct rmeb_guest_sample *s,
		   uint64_t ipa, uint64_t ticks, unsigned vcpu, uint8_t kind, uint8_t write)
{
	if (r->n_samples >= g.p.samples_per_vcpu) {
		r->dropped++;
		return;
	}
	s[r->n_samples++] = (struct rmeb_guest_sample){
		.ipa = ipa, .ticks = sat32(ticks), .vcpu = (uint16_t)vcpu,
		.kind = kind, .write = write,
	};
}

/* The span tag of the sample about to be recorded: vCPU and the index
 * of the sample in the vCPU's order (dropped samples included). */
static uint64_t span_tag(const struct rmeb_guest_vcpu_result *r, unsigned vcpu)
{
	return ((uint64_t)vcpu << 32) | (r->n_samples + r->dropped);
}

static void run_pattern(unsigned vcpu)
{
	struct rmeb_guest_vcpu_result *r = vcpu_result(vcpu);
	struct rmeb_guest_sample *samples = vcpu_samples(vcpu);
	struct pattern_params pp = {
		.size = g.p.size, .page = g.p.page, .map_page = g.p.map_page,
		.vcpus = g.p.vcpus, .vcpu = vcpu,
		.seed = g.p.seed, .realm = g.realm, .overlap = g.p.overlap != 0,
	};
	struct pattern_iter it;
	struct payload_action a;
	char err[128];
	uint64_t sum = 0;

	*r = (struct rmeb_guest_vcpu_result){
		.realm = g.realm, .cntfrq = read_sysreg(cntfrq_el0), .ipa_width = g.ipa_width,
	};
	if (pattern_iter_start(&it, g.pattern, &pp, err, sizeof(err))) {
		fail(r, vcpu, "pattern: ", err);
		goto out;
	}
	port_write(RMEB_PORT_PHASE, ((uint64_t)vcpu << 32) | RMEB_PHASE_PATTERN);
	insn_mark(RMEB_MARK_RUN_BEGIN, vcpu, g.p.vcpus);
	r->start_ticks = counter_now();
	while (pattern_iter_next(&it, &a)) {
		uint64_t ipa = g.p.data_ipa + a.offset;
		if (a.op == PAYLOAD_SET_RIPAS) {
			uint64_t tag = span_tag(r, vcpu);
			uint64_t t0 = counter_now();
			insn_mark(RMEB_MARK_SPAN_BEGIN, tag, 0);
			int e = rsi_set_ripas(ipa, ipa + a.len, a.ripas, &r->set_ripas,
					      &r->ripas_reissues);
			insn_mark(RMEB_MARK_SPAN_END, tag, 0);
			uint64_t t1 = counter_now();
			if (e) {
				fail(r, vcpu, "RSI_IPA_STATE_SET failed or was rejected", NULL);
				break;
			}
			record(r, samples, ipa, t1 - t0, vcpu, RMEB_SAMPLE_RIPAS, 0);
			continue;
		}
		volatile uint64_t *va = (volatile uint64_t *)(uintptr_t)(a.shared ? ipa | g.alias
										 : ipa);
		bool write = a.op == PAYLOAD_WRITE;
		r->accesses++;
		if (!a.first_touch) {
			if (write)
				*va = ipa ^ vcpu;
			else
				sum += *va;
			continue;
		}
		r->first_touches++;
		uint64_t tag = span_tag(r, vcpu);
		uint64_t t0 = counter_now();
		insn_mark(RMEB_MARK_SPAN_BEGIN, tag, 0);
		if (write)
			*va = ipa ^ vcpu;
		else
			sum += *va;
		dsb(ish);
		insn_mark(RMEB_MARK_SPAN_END, tag, 0);
		uint64_t t1 = counter_now();
		record(r, samples, ipa, t1 - t0, vcpu,
		       a.shared && g.realm ? RMEB_SAMPLE_SHARED : RMEB_SAMPLE_ACCESS, write);
	}
	r->end_ticks = counter_now();
out:
	r->checksum = sum;
	dsb(sy);
	r->magic = RMEB_RESULTS_MAGIC;
	dsb(sy);
	port_write(RMEB_PORT_PHASE, ((uint64_t)vcpu << 32) | RMEB_PHASE_FINISHED);
	__atomic_fetch_add(&g.finished, 1, __ATOMIC_RELEASE);
}

/* ---- parameters ---- */

static bool names_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return false;  /* not NUL-terminated within n */
}

/* No parameter page (QEMU -kernel): a small self-test on 2 vCPUs. */
static void default_params(struct rmeb_guest_params *p)
{
	*p = (struct rmeb_guest_params){
		.magic = RMEB_PARAMS_MAGIC, .version = RMEB_PARAMS_VERSION, .vcpus = 2,
		.size = 2ULL << 20, .page = PATTERN_SZ_4K, .seed = 1,
		.data_ipa = RMEB_GUEST_DATA_IPA, .data_size = 4ULL << 20,
		.results_ipa = RMEB_GUEST_DATA_IPA + (4ULL << 20), .results_size = 2ULL << 20,
		.samples_per_vcpu = 1024, .pattern = "seq",
	};
}

static const char *check_params(void)
{
	const struct rmeb_guest_params *p = &g.p;
	if (p->version != RMEB_PARAMS_VERSION)
		return "parameter page version mismatch";
	if (p->vcpus == 0 || p->vcpus > RMEB_GUEST_MAX_VCPUS)
		return "vcpus out of range";
	/* names_equal also refuses a name the VMM did not NUL-terminate. */
	const struct pattern *pat = NULL;
	for (size_t i = 0; (pat = pattern_at(i)); i++)
		if (names_equal(pat->name, p->pattern, RMEB_PATTERN_NAME_LEN))
			break;
	if (!pat)
		return "unknown pattern";
	g.pattern = pat;
	uint64_t need = p->overlap ? p->size : p->size * p->vcpus;
	if (p->data_size < need || p->data_ipa % PATTERN_SZ_2M)
		return "data slot too small or misaligned";
	uint64_t res_need = RMEB_RESULTS_HEADER_SIZE +
		p->samples_per_vcpu * p->vcpus * sizeof(struct rmeb_guest_sample);
	if (p->results_size < res_need || p->results_ipa % PATTERN_SZ_2M)
		return "result slot too small or misaligned";
	return NULL;
}

/* ---- entry points (from start.S) ---- */

void rmeb_secondary_main(uint64_t vcpu)
{
	mmu_enable();
	port_write(RMEB_PORT_PHASE, (vcpu << 32) | RMEB_PHASE_BOOTED);
	run_pattern((unsigned)vcpu);
	psci(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

static void report(void)
{
	uint64_t touches = 0, samples = 0, ticks = 0, max = 0, min = ~0ULL;
	for (unsigned v = 0; v < g.p.vcpus; v++) {
		struct rmeb_guest_vcpu_result *r = vcpu_result(v);
		struct rmeb_guest_sample *s = vcpu_samples(v);
		touches += r->first_touches;
		for (uint64_t i = 0; i < r->n_samples; i++) {
			if (s[i].kind == RMEB_SAMPLE_RIPAS)
				continue;
			samples++;
			ticks += s[i].ticks;
			if (s[i].ticks > max)
				max = s[i].ticks;
			if (s[i].ticks < min)
				min = s[i].ticks;
		}
	}
	rmeb_puts("rmeb-guest: pattern ");
	rmeb_puts(g.pattern->name);
	rmeb_puts(" vcpus ");
	rmeb_put_u64(g.p.vcpus);
	rmeb_puts(" first_touches ");
	rmeb_put_u64(touches);
	rmeb_puts(" timed ");
	rmeb_put_u64(samples);
	if (samples) {
		rmeb_puts(" ticks min/mean/max ");
		rmeb_put_u64(min);
		rmeb_puts("/");
		rmeb_put_u64(ticks / samples);
		rmeb_puts("/");
		rmeb_put_u64(max);
	}
	rmeb_puts(" cntfrq ");
	rmeb_put_u64(read_sysreg(cntfrq_el0));
	rmeb_puts("\n");
}

void rmeb_primary_main(uint64_t from_el2)
{
	const volatile struct rmeb_guest_params *vp =
		(const volatile struct rmeb_guest_params *)(uintptr_t)RMEB_GUEST_PARAMS_IPA;
	const char *bad;

	rsi_detect();
	g.psci_smc = g.realm || from_el2;
	if (vp->magic == RMEB_PARAMS_MAGIC) {
		g.configured = true;
		/* Byte copy: the MMU is off (Device memory, no unaligned access). */
		for (size_t i = 0; i < sizeof(g.p); i++)
			((uint8_t *)&g.p)[i] = ((const volatile uint8_t *)vp)[i];
	} else {
		default_params(&g.p);
	}
	if (mmu_build()) {
		rmeb_puts("rmeb-guest: cannot build the stage-1 map for this IPA width\n");
		system_off();
	}
	mmu_enable();
	rmeb_puts("rmeb-guest: booted at EL1, MMU ");
	rmeb_puts(mmu_is_on() ? "on" : "OFF");
	rmeb_puts(", caches on, ");
	rmeb_puts(g.realm ? "realm (RSI answered), IPA width " : "normal VM (no RSI)");
	if (g.realm)
		rmeb_put_u64(g.ipa_width);
	rmeb_puts(g.configured ? ", parameters from the VMM\n"
			       : ", no parameter page: self-test defaults\n");
	port_write(RMEB_PORT_PHASE, RMEB_PHASE_BOOTED);

	bad = check_params();
	if (bad) {
		rmeb_puts("rmeb-guest: bad parameters: ");
		rmeb_puts(bad);
		rmeb_puts("\n");
		port_write(RMEB_PORT_DONE, 2);
		system_off();
	}
	/* A realm's result slot must be shared before the host can read it. */
	if (g.realm) {
		uint64_t calls = 0, reissues = 0;
		if (rsi_set_ripas(g.p.results_ipa, g.p.results_ipa + g.p.results_size,
				  RSI_EMPTY, &calls, &reissues)) {
			rmeb_puts("rmeb-guest: cannot make the result slot shared\n");
			port_write(RMEB_PORT_DONE, 3);
			system_off();
		}
	}
	dsb(sy);
	for (unsigned v = 1; v < g.p.vcpus; v++) {
		uint64_t ret = psci(PSCI_CPU_ON, vcpu_mpidr(v),
				    (uint64_t)(uintptr_t)rmeb_secondary_entry, v);
		if (ret != PSCI_RET_SUCCESS) {
			rmeb_puts("rmeb-guest: PSCI CPU_ON of vcpu ");
			rmeb_put_u64(v);
			rmeb_puts(" failed: ");
			rmeb_put_hex(ret);
			rmeb_puts("\n");
			port_write(RMEB_PORT_DONE, 4);
			system_off();
		}
	}
	run_pattern(0);
	while (__atomic_load_n(&g.finished, __ATOMIC_ACQUIRE) < g.p.vcpus)
		__asm__ volatile("yield");
	report();
	rmeb_puts(g.failed ? "rmeb-guest: FAILED\n" : "rmeb-guest: ok\n");
	port_write(RMEB_PORT_DONE, g.failed ? 1 : 0);
	system_off();
}
