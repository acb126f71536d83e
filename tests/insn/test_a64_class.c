/*
 * The A64 cost-class decoder of the QEMU instruction plugin on known
 * encodings. Every word below was assembled by GNU as 2.40 (aarch64) from
 * the mnemonic next to it; the RME ones (which that assembler only knows
 * as SYS/MSR with explicit fields) print under their RME names with objdump.
 */
#include <stddef.h>
#include <stdint.h>

#include "a64_class.h"
#include "check.h"

#define B(op) A64_BIT(A64_OP_##op)

struct known {
	uint32_t insn;
	const char *mnemonic;
	uint32_t want;
};

static const struct known table[] = {
	{ 0xd508831f, "tlbi vmalle1is", B(TLBI_BCAST) | B(TLBI_ALL) },
	{ 0xd5088321, "tlbi vae1is, x1", B(TLBI_BCAST) | B(TLBI_VA) },
	{ 0xd50887a2, "tlbi vale1, x2", B(TLBI_LOCAL) | B(TLBI_VA) },
	{ 0xd50c871f, "tlbi alle2", B(TLBI_LOCAL) | B(TLBI_ALL) },
	{ 0xd50c8320, "tlbi vae2is, x0", B(TLBI_BCAST) | B(TLBI_VA) },
	{ 0xd50c8023, "tlbi ipas2e1is, x3", B(TLBI_BCAST) | B(TLBI_IPA) },
	{ 0xd50c8423, "tlbi ipas2e1, x3", B(TLBI_LOCAL) | B(TLBI_IPA) },
	{ 0xd50c80a3, "tlbi ipas2le1is, x3", B(TLBI_BCAST) | B(TLBI_IPA) },
	{ 0xd50c8405, "tlbi ipas2e1os, x5", B(TLBI_BCAST) | B(TLBI_IPA) },
	{ 0xd50c83df, "tlbi vmalls12e1is", B(TLBI_BCAST) | B(TLBI_ALL) },
	{ 0xd50c87df, "tlbi vmalls12e1", B(TLBI_LOCAL) | B(TLBI_ALL) },
	{ 0xd50c839f, "tlbi alle1is", B(TLBI_BCAST) | B(TLBI_ALL) },
	{ 0xd5088744, "tlbi aside1, x4", B(TLBI_LOCAL) | B(TLBI_ALL) },
	{ 0xd508811f, "tlbi vmalle1os", B(TLBI_BCAST) | B(TLBI_ALL) },
	{ 0xd5088226, "tlbi rvae1is, x6", B(TLBI_BCAST) | B(TLBI_VA) },
	{ 0xd50886a6, "tlbi rvale1, x6", B(TLBI_LOCAL) | B(TLBI_VA) },
	{ 0xd5089320, "tlbi vae1isnxs, x0", B(TLBI_BCAST) | B(TLBI_VA) },
	{ 0xd50e8460, "tlbi rpaos, x0", B(TLBI_BCAST) | B(TLBI_GPT) },
	{ 0xd50e84e0, "tlbi rpalos, x0", B(TLBI_BCAST) | B(TLBI_GPT) },
	{ 0xd50e819f, "tlbi paallos", B(TLBI_BCAST) | B(TLBI_GPT) },
	{ 0xd50e879f, "tlbi paall", B(TLBI_LOCAL) | B(TLBI_GPT) },
	{ 0xd5033b9f, "dsb ish", B(DSB) },
	{ 0xd5033f9f, "dsb sy", B(DSB) },
	{ 0xd5033a9f, "dsb ishst", B(DSB) },
	{ 0xd5033a3f, "dsb ishnxs", B(DSB) },
	{ 0xd5033fdf, "isb", B(ISB) },
	{ 0xd5033bbf, "dmb ish", 0 },
	{ 0xd50b7420, "dc zva, x0", B(DC_ZVA) },
	{ 0xd50b7e21, "dc civac, x1", B(DC_VA) },
	{ 0xd50b7a21, "dc cvac, x1", B(DC_VA) },
	{ 0xd50b7b21, "dc cvau, x1", B(DC_VA) },
	{ 0xd5087621, "dc ivac, x1", B(DC_VA) },
	{ 0xd5087e41, "dc cisw, x1", B(DC_SW) },
	{ 0xd50e7e20, "dc cipapa, x0", B(DC_PA) },
	{ 0xd50e7ea0, "dc cigdpapa, x0", B(DC_PA) },
	{ 0xd508751f, "ic iallu", 0 },
	{ 0xd4000003, "smc #0", B(SMC) },
	{ 0xd4000002, "hvc #0", B(HVC) },
	{ 0xd4000001, "svc #0", B(SVC) },
	{ 0xd69f03e0, "eret", B(ERET) },
	{ 0xd69f0bff, "eretaa", B(ERET) },
	{ 0xd503207f, "wfi", B(WFI) },
	{ 0xd503205f, "wfe", B(WFE) },
	{ 0xd5031000, "wfet x0", B(WFE) },
	{ 0xd5031021, "wfit x1", B(WFI) },
	{ 0xd5182000, "msr ttbr0_el1, x0", B(MSR_TRANS) },
	{ 0xd51c2000, "msr ttbr0_el2, x0", B(MSR_TRANS) },
	{ 0xd51d2000, "msr ttbr0_el12, x0", B(MSR_TRANS) },
	{ 0xd5182040, "msr tcr_el1, x0", B(MSR_TRANS) },
	{ 0xd5181000, "msr sctlr_el1, x0", B(MSR_TRANS) },
	{ 0xd51c2100, "msr vttbr_el2, x0", B(MSR_TRANS) },
	{ 0xd51c2140, "msr vtcr_el2, x0", B(MSR_TRANS) },
	{ 0xd51c1100, "msr hcr_el2, x0", B(MSR_TRANS) },
	{ 0xd51ca200, "msr mair_el2, x0", B(MSR_TRANS) },
	{ 0xd51e2180, "msr gptbr_el3, x0", B(MSR_GPT) },
	{ 0xd51e21c0, "msr gpccr_el3, x0", B(MSR_GPT) },
	{ 0xd51cc000, "msr vbar_el2, x0", 0 },
	{ 0xd51c4020, "msr elr_el2, x0", 0 },
	{ 0xd5382000, "mrs x0, ttbr0_el1", 0 },
	{ 0xd5182100, "msr apiakeylo_el1, x0", 0 },
	{ 0xd503201f, "nop", 0 },
	{ 0xd5032d1f, "hint #104", 0 },
	{ 0x8b020020, "add x0, x1, x2", 0 },
	{ 0xf9000020, "str x0, [x1]", 0 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint32_t got = a64_classify(table[i].insn);
		if (got != table[i].want)
			fprintf(stderr, "%s (0x%08x): got 0x%x, want 0x%x\n", table[i].mnemonic,
				table[i].insn, got, table[i].want);
		CHECK(got == table[i].want);
	}
	/* The markers: unallocated HINTs, and what A64_HINT() builds. */
	CHECK(a64_hint_imm(0xd5032d1f) == A64_MARK_SPAN_BEGIN);
	CHECK(a64_hint_imm(0xd5032d3f) == A64_MARK_SPAN_END);
	CHECK(a64_hint_imm(0xd5032d5f) == A64_MARK_RUN_BEGIN);
	CHECK(A64_HINT(A64_MARK_SPAN_BEGIN) == 0xd5032d1f);
	CHECK(a64_hint_imm(0xd503201f) == 0);
	CHECK(a64_hint_imm(0xd5033fdf) == -1); /* isb is not a HINT */
	for (int op = 0; op < A64_OP_COUNT; op++)
		CHECK(a64_op_names[op] != NULL);
	return check_report("a64_class");
}
