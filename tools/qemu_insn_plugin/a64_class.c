/* A64 cost classes from the instruction encodings (see a64_class.h). */
#include <stdbool.h>

#include "a64_class.h"

const char *const a64_op_names[A64_OP_COUNT] = {
	[A64_OP_TLBI_BCAST] = "tlbi_bcast", [A64_OP_TLBI_LOCAL] = "tlbi_local",
	[A64_OP_TLBI_VA] = "tlbi_va",       [A64_OP_TLBI_IPA] = "tlbi_ipa",
	[A64_OP_TLBI_ALL] = "tlbi_all",     [A64_OP_TLBI_GPT] = "tlbi_gpt",
	[A64_OP_DSB] = "dsb",               [A64_OP_ISB] = "isb",
	[A64_OP_DC_ZVA] = "dc_zva",         [A64_OP_DC_VA] = "dc_va",
	[A64_OP_DC_SW] = "dc_sw",           [A64_OP_DC_PA] = "dc_pa",
	[A64_OP_SMC] = "smc",               [A64_OP_HVC] = "hvc",
	[A64_OP_SVC] = "svc",               [A64_OP_ERET] = "eret",
	[A64_OP_MSR_TRANS] = "msr_trans",   [A64_OP_MSR_GPT] = "msr_gpt",
	[A64_OP_WFI] = "wfi",               [A64_OP_WFE] = "wfe",
};

/* Fields of the system instruction / register move space:
 * 1101 0101 00 L op0(2) op1(3) CRn(4) CRm(4) op2(3) Rt(5). */
struct sysop {
	unsigned l, op0, op1, crn, crm, op2;
};

static struct sysop sysop_fields(uint32_t i)
{
	return (struct sysop){
		.l = (i >> 21) & 1, .op0 = (i >> 19) & 3, .op1 = (i >> 16) & 7,
		.crn = (i >> 12) & 15, .crm = (i >> 8) & 15, .op2 = (i >> 5) & 7,
	};
}

static uint32_t bit(enum a64_op op)
{
	return A64_BIT(op);
}

/* RME GPT invalidations, op1 = 6: RPAOS (CRm 4, op2 3), RPALOS (CRm 4,
 * op2 7), PAALLOS (CRm 1, op2 4), PAALL (CRm 7, op2 4: local). */
static uint32_t tlbi_gpt(struct sysop s)
{
	if (s.op1 != 6)
		return 0;
	if (s.crm == 4 && (s.op2 == 3 || s.op2 == 7))
		return bit(A64_OP_TLBI_GPT) | bit(A64_OP_TLBI_BCAST);
	if (s.op2 == 4 && (s.crm == 1 || s.crm == 7))
		return bit(A64_OP_TLBI_GPT) |
		       bit(s.crm == 7 ? A64_OP_TLBI_LOCAL : A64_OP_TLBI_BCAST);
	return 0;
}

/* By IPA, op1 = 4: CRm 0 holds the IS forms (IPAS2E1IS, RIPAS2E1IS,
 * IPAS2LE1IS, RIPAS2LE1IS); CRm 4 the local IPAS2E1, RIPAS2E1, IPAS2LE1,
 * RIPAS2LE1 (op2 1, 2, 5, 6) and the OS forms (op2 0, 3, 4, 7). */
static uint32_t tlbi_ipa(struct sysop s)
{
	if (s.op1 != 4 || (s.crm != 0 && s.crm != 4))
		return 0;
	bool local = s.crm == 4 && (s.op2 == 1 || s.op2 == 2 || s.op2 == 5 || s.op2 == 6);
	return bit(A64_OP_TLBI_IPA) | bit(local ? A64_OP_TLBI_LOCAL : A64_OP_TLBI_BCAST);
}

/* TLBI: SYS with op0 = 1, CRn = 8 (or 9, the FEAT_XS nXS forms). */
static uint32_t tlbi_class(struct sysop s)
{
	uint32_t c = tlbi_gpt(s);
	if (c)
		return c;
	if ((c = tlbi_ipa(s)))
		return c;
	/* Scope by CRm: 1 OS, 2 range IS, 3 IS, 5 range OS; 6 range local, 7 local. */
	switch (s.crm) {
	case 1: case 2: case 3: case 5:
		c = bit(A64_OP_TLBI_BCAST);
		break;
	case 6: case 7:
		c = bit(A64_OP_TLBI_LOCAL);
		break;
	default:
		return 0;
	}
	/* The range forms (CRm 2, 5, 6) are all by VA. Otherwise op2 0
	 * (VMALLE1, ALLE2, ALLE3), 2 (ASIDE1), 4 (ALLE1), 6 (VMALLS12E1)
	 * invalidate whole contexts and odd op2 (VAE, VAAE, VALE, VAALE) a VA. */
	if (s.crm == 2 || s.crm == 5 || s.crm == 6 || (s.op2 & 1))
		return c | bit(A64_OP_TLBI_VA);
	return c | bit(A64_OP_TLBI_ALL);
}

/* DC: SYS with op0 = 1, CRn = 7. */
static uint32_t dc_class(struct sysop s)
{
	if (s.op1 == 6 && s.crm == 14 && (s.op2 == 1 || s.op2 == 5))
		return bit(A64_OP_DC_PA);               /* CIPAPA, CIGDPAPA */
	if (s.op1 == 3 && s.crm == 4 && (s.op2 == 1 || s.op2 == 3 || s.op2 == 4))
		return bit(A64_OP_DC_ZVA);              /* ZVA, GVA, GZVA */
	if (s.op1 == 0 && (s.crm == 6 || s.crm == 10 || s.crm == 14) && s.op2 >= 2 &&
	    s.op2 != 3 && s.op2 != 5)
		return bit(A64_OP_DC_SW);               /* ISW, CSW, CISW (+ IGSW, IGDSW ...) */
	if (s.op1 == 0 && s.crm == 6 && (s.op2 == 1 || s.op2 == 3 || s.op2 == 5))
		return bit(A64_OP_DC_VA);               /* IVAC, IGVAC, IGDVAC */
	if (s.op1 == 3 && s.crm >= 10 && s.crm <= 14 && s.op2 % 2 == 1)
		return bit(A64_OP_DC_VA);               /* CVAC, CVAU, CVAP, CVADP, CIVAC (+ tag forms) */
	return 0;
}

/* MSR (register) to the translation controls: op0 = 3. */
static uint32_t msr_class(struct sysop s)
{
	if (s.op0 != 3)
		return 0;
	if (s.op1 == 6 && s.crn == 2 && s.crm == 1 && (s.op2 == 4 || s.op2 == 6))
		return bit(A64_OP_MSR_GPT);             /* GPTBR_EL3, GPCCR_EL3 */
	bool el_any = s.op1 == 0 || s.op1 == 4 || s.op1 == 5 || s.op1 == 6;
	if (el_any && s.crn == 1 && s.crm == 0 && s.op2 == 0)
		return bit(A64_OP_MSR_TRANS);           /* SCTLR_EL1/EL2/EL12/EL3 */
	if (el_any && s.crn == 2 && s.crm == 0 && s.op2 <= 2)
		return bit(A64_OP_MSR_TRANS);           /* TTBR0, TTBR1, TCR */
	if (el_any && s.crn == 10 && s.crm == 2 && s.op2 == 0)
		return bit(A64_OP_MSR_TRANS);           /* MAIR */
	if (s.op1 == 4 && s.crn == 1 && s.crm == 1 && s.op2 == 0)
		return bit(A64_OP_MSR_TRANS);           /* HCR_EL2 */
	if (s.op1 == 4 && s.crn == 2 && (s.crm == 1 || s.crm == 6) && (s.op2 == 0 || s.op2 == 2))
		return bit(A64_OP_MSR_TRANS);           /* VTTBR, VTCR, VSTTBR, VSTCR */
	return 0;
}

int a64_hint_imm(uint32_t insn)
{
	/* HINT #imm: 1101 0101 0000 0011 0010 CRm op2 11111. */
	if ((insn & 0xfffff01fu) != 0xd503201fu)
		return -1;
	return (int)((insn >> 5) & 0x7f);
}

static uint32_t hint_class(uint32_t insn)
{
	switch (a64_hint_imm(insn)) {
	case 2: return bit(A64_OP_WFE);
	case 3: return bit(A64_OP_WFI);
	default: return 0;
	}
}

/* Barriers: 1101 0101 0000 0011 0011 CRm op2 11111 (DSB op2 4, ISB op2
 * 6); DSB <option>nXS: 1101 0101 0000 0011 0011 imm2 10 001 11111. */
static uint32_t barrier_class(uint32_t insn)
{
	if ((insn & 0xfffff0ffu) == 0xd503309fu || (insn & 0xfffff3ffu) == 0xd503323fu)
		return bit(A64_OP_DSB);
	if ((insn & 0xfffff0ffu) == 0xd50330dfu)
		return bit(A64_OP_ISB);
	return 0;
}

/* Exception generation 1101 0100 opc(3) imm16 op2(3) LL(2), and ERET. */
static uint32_t exception_class(uint32_t insn)
{
	switch (insn & 0xffe0001fu) {
	case 0xd4000001u: return bit(A64_OP_SVC);
	case 0xd4000002u: return bit(A64_OP_HVC);
	case 0xd4000003u: return bit(A64_OP_SMC);
	}
	if (insn == 0xd69f03e0u || insn == 0xd69f0bffu || insn == 0xd69f0fffu)
		return bit(A64_OP_ERET);                /* ERET, ERETAA, ERETAB */
	return 0;
}

uint32_t a64_classify(uint32_t insn)
{
	uint32_t c = hint_class(insn) | barrier_class(insn) | exception_class(insn);
	if (c)
		return c;
	/* WFET / WFIT: 1101 0101 0000 0011 0001 0000 op2(3) Rd(5). */
	if ((insn & 0xffffffe0u) == 0xd5031000u)
		return bit(A64_OP_WFE);
	if ((insn & 0xffffffe0u) == 0xd5031020u)
		return bit(A64_OP_WFI);
	if ((insn & 0xffc00000u) != 0xd5000000u)
		return 0;
	struct sysop s = sysop_fields(insn);
	if (s.l == 0 && s.op0 == 1 && (s.crn == 8 || s.crn == 9))
		return tlbi_class(s);
	if (s.l == 0 && s.op0 == 1 && s.crn == 7)
		return dc_class(s);
	if (s.l == 0)
		return msr_class(s);
	return 0;
}
