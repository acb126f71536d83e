/*
 * rmeb-smc-driver: issues the RMI calls of an SMC image (abi/smc_image.h)
 * with real SMCs, one after the other, from the normal world's EL2 -- a
 * bare-metal host, so that an RMM and the EL3 firmware can be measured
 * call by call with nothing else running (under QEMU with rme-bench's
 * instruction plugin, whose "C" records are these calls).
 *
 * Contract: linked as TF-A's BL33 with the image appended (driver.ld);
 * runs with the MMU off (VA = PA), interrupts masked, one CPU. For each
 * call it puts the recorded NS page, if any, in a page of its own bss,
 * issues `smc #0` with X0..X6 and prints one line on the PL011 UART:
 *   rmeb-smc <line> <fid> <x0> <x1> <x2> <x3> <x4> [exit=<reason>]
 * (hex; exit= after a successful REC_ENTER: RmiRecExit.exit_reason).
 * Before them it issues PSCI_VERSION BARE_SMCS times: the bare SMC round
 * trip through EL3 that published SMC figures time, counted the same way;
 * then what a host does once at boot before any realm (RMM 2.0: an RMM
 * answers every other command with RMI_ERROR_GLOBAL until then):
 * RMM_CONFIG_GET into a zeroed page, RMM_CONFIG_SET of that page,
 * RMM_ACTIVATE -- printed as calls of line 0.
 * Then "rmeb-smc done <call lines printed>" and PSCI SYSTEM_OFF, so QEMU exits. A
 * missing or malformed image prints "rmeb-smc error: ..." and powers off.
 * A call that answers RMI_INCOMPLETE (RMM 2.0's stateful operations:
 * REC_CREATE asks the host for memory) is carried to its end as a host
 * does: donation requests are met with granules of the driver's pool,
 * delegated one by one and listed in an address list page
 * (GRANULE_RANGE_DELEGATE, OP_MEM_DONATE), then OP_CONTINUE, until the
 * status is final; each of those calls prints a line of the same command
 * line. It prints nothing between a call's SMC and its return: the normal
 * world is quiet while the other worlds are counted.
 */
#include <stddef.h>
#include <stdint.h>

#include "abi/rmi.h"
#include "abi/smc_image.h"

#define PL011_BASE      0x09000000UL /* QEMU virt UART0 */
#define PL011_DR        0x00
#define PL011_FR        0x18
#define PL011_FR_TXFF   (1u << 5)
#define PL011_CR        0x30
#define PL011_CR_ON     0x301u       /* UARTEN | TXE | RXE */
#define PL011_LCR_H     0x2c
#define PL011_LCR_8N1_FIFO 0x70u     /* 8 bits, FIFOs on */
#define PSCI_VERSION    0x84000000UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define BARE_SMCS       8            /* PSCI_VERSION calls before the image's */
#define RMM_BOOT_CALLS     3
#define REC_EXIT_REASON 0x800        /* RmiRecRun.exit.exit_reason */

/* RMM 2.0 stateful operations (RmiResultDataIncomplete, RmiOpMemDonateReq) */
#define RMI_STATUS(x0)       ((x0) & 0xffu)
#define RMI_OP_MEM_REQ(x0)   (((x0) >> 8) & 3u)
#define RMI_OP_MEM_REQ_NONE   0u
#define RMI_OP_MEM_REQ_DONATE 1u
#define DONATE_BLK_SIZE(x2)  ((x2) & 3u)            /* 0: 4 KiB pages */
#define DONATE_BLK_COUNT(x2) (((x2) >> 2) & 0x3fffu)
#define DONATE_STATE(x2)     (((x2) >> 17) & 1u)    /* 0: delegated */
#define SRO_MAX_STEPS        64
/* The driver's granule pool for donations: 32 MiB above its base. */
#define POOL_OFFSET          0x2000000UL
#define POOL_GRANULES        1024u

extern char _bin_end[], _text[];

static uint8_t ns_page[SMC_IMAGE_PAGE] __attribute__((aligned(SMC_IMAGE_PAGE)));
static uint64_t addr_list[SMC_IMAGE_PAGE / 8] __attribute__((aligned(SMC_IMAGE_PAGE)));
static uint32_t pool_used, calls_printed;

struct smc_ret {
	uint64_t x[5];
};

static void uart_putc(char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(PL011_BASE + PL011_FR);
	volatile uint32_t *dr = (volatile uint32_t *)(PL011_BASE + PL011_DR);
	while (*fr & PL011_FR_TXFF)
		;
	*dr = (uint32_t)(unsigned char)c;
}

static void puts_raw(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
}

static void put_hex(uint64_t v)
{
	char buf[19] = "0x";
	int n = 0;
	for (uint64_t t = v; n == 0 || t; t >>= 4)
		n++;
	for (int i = 0; i < n; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (4 * (n - 1 - i))) & 0xf];
	buf[2 + n] = '\0';
	puts_raw(buf);
}

static void put_dec(uint64_t v)
{
	char buf[21];
	int i = 20;
	buf[i] = '\0';
	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	puts_raw(buf + i);
}

/* One SMC64 call (SMCCC): X0..X6 in, X0..X4 out, X5..X17 not preserved. */
static struct smc_ret smc(uint64_t fid, const uint64_t a[6])
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a[0];
	register uint64_t x2 __asm__("x2") = a[1];
	register uint64_t x3 __asm__("x3") = a[2];
	register uint64_t x4 __asm__("x4") = a[3];
	register uint64_t x5 __asm__("x5") = a[4];
	register uint64_t x6 __asm__("x6") = a[5];
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
			 :
			 : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
			   "memory");
	return (struct smc_ret){ { x0, x1, x2, x3, x4 } };
}

static void power_off(void)
{
	static const uint64_t none[6];
	smc(PSCI_SYSTEM_OFF, none);
	for (;;)
		__asm__ volatile("wfi");
}

static void fail(const char *why)
{
	puts_raw("rmeb-smc error: ");
	puts_raw(why);
	puts_raw("\n");
	power_off();
}

static int magic_ok(const struct smc_image_header *h)
{
	for (size_t i = 0; i < sizeof(h->magic); i++)
		if (h->magic[i] != SMC_IMAGE_MAGIC[i])
			return 0;
	return h->version == SMC_IMAGE_VERSION;
}

/* The page goes to the RMM by physical address: written with the MMU
 * off, it is cleaned to the point of coherency for a cacheable reader
 * (a no-op under QEMU, which has no caches; needed on hardware). */
static uint64_t place_page(const uint8_t *src)
{
	for (size_t i = 0; i < SMC_IMAGE_PAGE; i++)
		ns_page[i] = src[i];
	for (uintptr_t p = (uintptr_t)ns_page; p < (uintptr_t)ns_page + SMC_IMAGE_PAGE; p += 64)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	__asm__ volatile("dsb sy" : : : "memory");
	return (uint64_t)(uintptr_t)ns_page;
}

static void print_result(const struct smc_image_call *c, const struct smc_ret *r)
{
	calls_printed++;
	puts_raw("rmeb-smc ");
	put_dec(c->line);
	puts_raw(" ");
	put_hex(c->fid);
	for (int i = 0; i < 5; i++) {
		puts_raw(" ");
		put_hex(r->x[i]);
	}
	if (c->fid == RMI_REC_ENTER && c->page_reg && r->x[0] == 0) {
		puts_raw(" exit=");
		put_hex(*(volatile uint64_t *)(ns_page + REC_EXIT_REASON));
	}
	puts_raw("\n");
}

static struct smc_ret call_and_print(uint32_t line, uint64_t fid, const uint64_t a[6])
{
	struct smc_image_call c = { .fid = fid, .line = line };
	struct smc_ret r = smc(fid, a);
	print_result(&c, &r);
	return r;
}

/* Meet a donation request: POOL granules, delegated one per call, listed
 * one descriptor each (PA | count 1 << 2 | 4 KiB size class). */
static struct smc_ret donate(uint32_t line, uint64_t handle, uint64_t req)
{
	uint64_t n = DONATE_BLK_COUNT(req), a[6] = { 0 };
	if (DONATE_BLK_SIZE(req) != 0 || n > SMC_IMAGE_PAGE / 8 || pool_used + n > POOL_GRANULES)
		fail("a donation request the driver cannot meet (not 4 KiB pages, or too many)");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = (uint64_t)(uintptr_t)_text + POOL_OFFSET + (uint64_t)pool_used++ * 4096;
		if (DONATE_STATE(req) == 0) {
			uint64_t d[6] = { pa, pa + 4096 };
			if (call_and_print(line, RMI_GRANULE_RANGE_DELEGATE, d).x[0] != 0)
				fail("GRANULE_RANGE_DELEGATE of a pool granule failed");
		}
		addr_list[i] = pa | (1u << 2) | ((uint64_t)DONATE_STATE(req) << 63);
	}
	for (uintptr_t p = (uintptr_t)addr_list; p < (uintptr_t)addr_list + n * 8; p += 64)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	__asm__ volatile("dsb sy" : : : "memory");
	a[0] = handle;
	a[1] = (uint64_t)(uintptr_t)addr_list;
	a[2] = n;
	return call_and_print(line, RMI_OP_MEM_DONATE, a);
}

/* Carry a stateful operation (status RMI_INCOMPLETE) to a final status. */
static void finish_operation(uint32_t line, struct smc_ret r)
{
	uint64_t handle = r.x[1];
	for (int step = 0; RMI_STATUS(r.x[0]) == RMI_INCOMPLETE; step++) {
		uint64_t a[6] = { handle, 0 };
		if (step == SRO_MAX_STEPS)
			fail("a stateful RMI operation did not finish");
		if (RMI_OP_MEM_REQ(r.x[0]) == RMI_OP_MEM_REQ_DONATE)
			r = donate(line, handle, r.x[2]);
		else if (RMI_OP_MEM_REQ(r.x[0]) == RMI_OP_MEM_REQ_NONE)
			r = call_and_print(line, RMI_OP_CONTINUE, a);
		else
			fail("an RMI operation asked the host to reclaim memory (not supported)");
	}
}

/* The host's once-per-boot RMM set-up (line 0 calls). An RMM that does
 * not know these commands answers SMC_UNKNOWN; the image's calls then
 * show whether it needed them. */
static void rmm_boot(void)
{
	static const uint64_t fids[RMM_BOOT_CALLS] = { RMI_RMM_CONFIG_GET, RMI_RMM_CONFIG_SET,
						       RMI_RMM_ACTIVATE };
	for (size_t i = 0; i < RMM_BOOT_CALLS; i++) {
		struct smc_image_call c = { .fid = fids[i] };
		uint64_t a[6] = { 0 };
		if (fids[i] != RMI_RMM_ACTIVATE)
			a[0] = (uint64_t)(uintptr_t)ns_page; /* zeroed bss: the defaults */
		struct smc_ret r = smc(c.fid, a);
		print_result(&c, &r);
	}
}

void driver_main(void);
void driver_main(void)
{
	const struct smc_image_header *h = (const struct smc_image_header *)_bin_end;
	const uint8_t *p = (const uint8_t *)(h + 1), *end;
	uint32_t done = 0;

	volatile uint32_t *cr = (volatile uint32_t *)(PL011_BASE + PL011_CR);
	if (!(*cr & 1)) { /* no firmware set the UART up (a bare QEMU boot) */
		*(volatile uint32_t *)(PL011_BASE + PL011_LCR_H) = PL011_LCR_8N1_FIFO;
		*cr = PL011_CR_ON;
	}
	puts_raw("rmeb-smc driver\n");
	if (!magic_ok(h))
		fail("no SMC image after the driver (rme-bench rmi --smc-image)");
	end = (const uint8_t *)h + h->size;
	for (int i = 0; i < BARE_SMCS; i++) {
		static const uint64_t none[6];
		smc(PSCI_VERSION, none);
	}
	rmm_boot();
	for (; done < h->n_calls; done++) {
		const struct smc_image_call *c = (const struct smc_image_call *)p;
		uint64_t a[6];

		if (p + sizeof(*c) > end || c->page_reg > 6 ||
		    (c->page_reg && p + sizeof(*c) + SMC_IMAGE_PAGE > end))
			fail("the SMC image is truncated or malformed");
		for (int i = 0; i < 6; i++)
			a[i] = c->x[i];
		p += sizeof(*c);
		if (c->page_reg) {
			a[c->page_reg - 1] = place_page(p);
			p += SMC_IMAGE_PAGE;
		}
		struct smc_ret r = smc(c->fid, a);
		print_result(c, &r);
		finish_operation(c->line, r);
	}
	puts_raw("rmeb-smc done ");
	put_dec(calls_printed);
	puts_raw("\n");
	power_off();
}
