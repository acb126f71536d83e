/*
 * rme-bench's QEMU TCG plugin: per QEMU vCPU, executed instructions by
 * exception level and security state, instructions of the A64 cost
 * classes (a64_class.h), exceptions taken, and the host kernel's
 * instructions by fault-path stage (address ranges of the stage functions);
 * and per guest-marked span (HINT #104 ... HINT #105, a64_class.h) the
 * difference of all of these between the two markers on that vCPU.
 *
 * Method: at translation time (a translation block belongs to one EL and
 * one security state: both are part of QEMU's TB flags) the plugin reads
 * PSTATE ("cpsr": EL in bits 3:2) and, when the CPU has EL3, SCR_EL3 (NS
 * bit 0, NSE bit 62) through qemu_plugin_read_register, and the VBAR of
 * that EL (an instruction at a vector entry counts one exception taken of
 * that entry's kind). Each instruction then gets inline per-vCPU adds (no
 * callback) to its context's counter, its classes' counters and its
 * stage's counter. Only the marker HINTs get a callback (reading x0/x1).
 * So counts are exact per executed instruction, including those of a
 * block an exception leaves half way.
 *
 * Per SMC issued in the normal world at EL2 (the host's RMI calls), the
 * difference of the same counters from the SMC to the first normal-world
 * block executed after it, with X0 at the SMC (the function ID) and at
 * the return (the status): what EL3 and the RMM executed for that call.
 * The return is found by a conditional callback at the start of every
 * normal-world block, evaluated inline against a per-vCPU "call open"
 * flag, so the normal world pays one compare per block. A call that
 * comes back anywhere but the instruction after the SMC (an interrupt
 * taken to the normal world first) is flagged, never dropped.
 *
 * Arguments: out=FILE (required), stages=FILE (lines "range STAGE START
 * END" and "missing STAGE", hex addresses; scripts/qemu/insn-stages.py
 * writes it from a System.map or kallsyms), run=ID (copied to the output
 * so that a merge can refuse another run's counts), qemu=VERSION (the
 * plugin API does not tell it; copied to the output).
 *
 * Output (text, one record per line, see docs/qemu.md): a header, "R"
 * lines (a guest vCPU starts a run), "S" lines (one per span), "C" lines
 * (one per normal-world EL2 SMC), "T" lines (per-vCPU totals) and a
 * final "end". Fatal problems (no register
 * access, bad arguments) print one line and exit QEMU with status 2.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "a64_class.h"
#include "qemu_plugin_api.h"

#define PLUGIN_VERSION 2
#define MAX_STAGES 24
#define MAX_RANGES 256
#define MAX_VCPUS 64
#define STAGE_NAME_LEN 32

RMEB_EXPORT int qemu_plugin_version = RMEB_QEMU_PLUGIN_API;

/* Contexts: EL (0..3) x security state. */
enum world { WORLD_NS, WORLD_REALM, WORLD_SECURE, WORLD_ROOT, WORLD_COUNT };
static const char *const world_names[WORLD_COUNT] = { "ns", "realm", "secure", "root" };
enum exc_kind { EXC_SYNC, EXC_IRQ, EXC_FIQ, EXC_SERROR, EXC_COUNT };
static const char *const exc_names[EXC_COUNT] = { "sync", "irq", "fiq", "serror" };

/* One vCPU's counters, a scoreboard entry (inline adds target its fields). */
struct counts {
	uint64_t insn[4 * WORLD_COUNT]; /* [el * WORLD_COUNT + world] */
	uint64_t op[A64_OP_COUNT];
	uint64_t stage[MAX_STAGES];
	uint64_t exc[EXC_COUNT];
};
#define N_COUNTS (sizeof(struct counts) / sizeof(uint64_t))

struct span {
	bool open;
	uint64_t tag;
	struct counts at_begin;
};

/* The SMC a vCPU's normal world is waiting on (C records). */
struct smc_call {
	uint64_t fid, return_pc;
	struct counts at_smc;
};

struct stage_range {
	uint64_t start, end; /* [start, end) */
	unsigned stage;
};

static struct {
	struct qemu_plugin_scoreboard *sb;
	struct qemu_plugin_scoreboard *smc_open; /* per vCPU: uint64_t, 1 while a call runs */
	struct smc_call smc[MAX_VCPUS];
	FILE *out;
	pthread_mutex_t lock;
	const char *run_id, *qemu_version;
	unsigned max_vcpus;
	struct span spans[MAX_VCPUS];
	/* registers (handles are the same for every vCPU) */
	struct qemu_plugin_register *cpsr, *x0, *x1, *scr_el3, *vbar[4];
	/* stages */
	char stage_names[MAX_STAGES][STAGE_NAME_LEN];
	unsigned n_stages;
	char missing[512];
	struct stage_range ranges[MAX_RANGES];
	unsigned n_ranges;
} P = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread GByteArray *reg_buf;

static void fatal(const char *msg, const char *detail)
{
	fprintf(stderr, "rmeb-insn plugin: %s%s\n", msg, detail ? detail : "");
	exit(2);
}

static bool read_reg(struct qemu_plugin_register *r, uint64_t *v)
{
	if (!reg_buf)
		reg_buf = g_byte_array_new();
	g_byte_array_set_size(reg_buf, 0);
	int n = qemu_plugin_read_register(r, reg_buf);
	if (n <= 0 || reg_buf->len < (unsigned)n)
		return false;
	*v = 0;
	for (int i = (n > 8 ? 8 : n) - 1; i >= 0; i--) /* target (little endian) order */
		*v = (*v << 8) | reg_buf->data[i];
	return true;
}

/* ---- registers, looked up by the names QEMU's gdbstub gives them ---- */

static struct qemu_plugin_register *find_reg(GArray *regs, const char *const *names)
{
	qemu_plugin_reg_descriptor *d = (qemu_plugin_reg_descriptor *)regs->data;
	for (; *names; names++)
		for (unsigned i = 0; i < regs->len; i++)
			if (d[i].name && strcasecmp(d[i].name, *names) == 0)
				return d[i].handle;
	return NULL;
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	(void)id;
	if (vcpu >= MAX_VCPUS)
		fatal("more vCPUs than the plugin supports (64)", NULL);
	if (P.cpsr)
		return;
	GArray *regs = qemu_plugin_get_registers();
	if (!regs)
		fatal("QEMU gave no register list (qemu_plugin_get_registers)", NULL);
	P.cpsr = find_reg(regs, (const char *const[]){ "cpsr", NULL });
	P.x0 = find_reg(regs, (const char *const[]){ "x0", NULL });
	P.x1 = find_reg(regs, (const char *const[]){ "x1", NULL });
	P.scr_el3 = find_reg(regs, (const char *const[]){ "SCR_EL3", NULL });
	P.vbar[1] = find_reg(regs, (const char *const[]){ "VBAR_EL1", "VBAR", NULL });
	P.vbar[2] = find_reg(regs, (const char *const[]){ "VBAR_EL2", NULL });
	P.vbar[3] = find_reg(regs, (const char *const[]){ "VBAR_EL3", NULL });
	g_array_free(regs, 1);
	if (!P.cpsr || !P.x0 || !P.x1)
		fatal("this QEMU exposes no cpsr/x0/x1 register to plugins "
		      "(not an aarch64 system emulator?)", NULL);
}

/* ---- translation: context, classes, stage and markers per instruction ---- */

struct tb_context {
	unsigned el, world;
	bool have_vbar;
	uint64_t vbar;
};

static struct tb_context tb_context(void)
{
	struct tb_context c = { 0, WORLD_NS, false, 0 };
	uint64_t pstate, scr;
	if (!read_reg(P.cpsr, &pstate))
		fatal("qemu_plugin_read_register(cpsr) failed at translation time: "
		      "this QEMU does not allow register reads there (the plugin needs the "
		      "API of QEMU 9.2-10.0)", NULL);
	c.el = (pstate >> 2) & 3;
	if (c.el == 3) {
		c.world = WORLD_ROOT;
	} else if (P.scr_el3 && read_reg(P.scr_el3, &scr)) {
		bool ns = scr & 1, nse = (scr >> 62) & 1;
		c.world = nse ? (ns ? WORLD_REALM : WORLD_SECURE) : (ns ? WORLD_NS : WORLD_SECURE);
	}
	if (c.el > 0 && P.vbar[c.el] && read_reg(P.vbar[c.el], &c.vbar))
		c.have_vbar = true;
	return c;
}

static int stage_of(uint64_t va)
{
	for (unsigned i = 0; i < P.n_ranges; i++)
		if (va >= P.ranges[i].start && va < P.ranges[i].end)
			return (int)P.ranges[i].stage;
	return -1;
}

static qemu_plugin_u64 field(size_t offset)
{
	return (qemu_plugin_u64){ P.sb, offset };
}

static void add_inline(struct qemu_plugin_insn *insn, size_t offset)
{
	qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							    field(offset), 1);
}

static void on_marker(unsigned int vcpu, void *udata);
static void on_smc(unsigned int vcpu, void *udata);
static void on_smc_return(unsigned int vcpu, void *udata);

static void instrument_insn(struct qemu_plugin_insn *insn, const struct tb_context *c)
{
	uint32_t word = 0;
	uint64_t va = qemu_plugin_insn_vaddr(insn);
	if (qemu_plugin_insn_data(insn, &word, sizeof(word)) != sizeof(word))
		return;
	add_inline(insn, offsetof(struct counts, insn) +
			 sizeof(uint64_t) * (c->el * WORLD_COUNT + c->world));
	uint32_t classes = a64_classify(word), classes_of_word = classes;
	for (unsigned op = 0; classes; op++, classes >>= 1)
		if (classes & 1)
			add_inline(insn, offsetof(struct counts, op) + sizeof(uint64_t) * op);
	int s = stage_of(va);
	if (s >= 0)
		add_inline(insn, offsetof(struct counts, stage) + sizeof(uint64_t) * (unsigned)s);
	if (c->have_vbar && va >= c->vbar && va - c->vbar < 0x800 && (va & 0x7f) == 0)
		add_inline(insn, offsetof(struct counts, exc) +
				 sizeof(uint64_t) * (((va - c->vbar) >> 7) & 3));
	if ((classes_of_word & (1u << A64_OP_SMC)) && c->el == 2 && c->world == WORLD_NS)
		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_smc, QEMU_PLUGIN_CB_R_REGS,
						       (void *)(uintptr_t)(va + 4));
	int hint = a64_hint_imm(word);
	if (hint == A64_MARK_SPAN_BEGIN || hint == A64_MARK_SPAN_END || hint == A64_MARK_RUN_BEGIN)
		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_R_REGS,
						       (void *)(uintptr_t)hint);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	struct tb_context c = tb_context();
	size_t n = qemu_plugin_tb_n_insns(tb);
	if (c.world == WORLD_NS && n)
		qemu_plugin_register_vcpu_tb_exec_cond_cb(
			tb, on_smc_return, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_NE,
			(qemu_plugin_u64){ P.smc_open, 0 }, 0,
			(void *)(uintptr_t)qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)));
	for (size_t i = 0; i < n; i++)
		instrument_insn(qemu_plugin_tb_get_insn(tb, i), &c);
}

/* ---- spans ---- */

static void print_counts(const struct counts *c)
{
	const uint64_t *v = (const uint64_t *)c;
	for (size_t i = 0; i < N_COUNTS; i++)
		fprintf(P.out, " %" PRIu64, v[i]);
	fputc('\n', P.out);
}

static struct counts counts_delta(const struct counts *now, const struct counts *then)
{
	struct counts d;
	const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)then;
	uint64_t *r = (uint64_t *)&d;
	for (size_t i = 0; i < N_COUNTS; i++)
		r[i] = a[i] - b[i];
	return d;
}

static const struct counts *vcpu_counts(unsigned vcpu)
{
	return qemu_plugin_scoreboard_find(P.sb, vcpu);
}

/* Span flags: the end marker ran on another QEMU vCPU than the begin
 * marker (the counts are then those of the begin vCPU up to the end: not
 * the fault's alone), or no begin marker was seen for it. */
#define SPAN_MIGRATED 1u
#define SPAN_NO_BEGIN 2u

static void span_end(unsigned vcpu, uint64_t tag)
{
	unsigned owner = vcpu, flags = 0;
	if (!P.spans[vcpu].open || P.spans[vcpu].tag != tag) {
		flags = SPAN_NO_BEGIN;
		for (unsigned v = 0; v < P.max_vcpus; v++)
			if (P.spans[v].open && P.spans[v].tag == tag) {
				owner = v;
				flags = SPAN_MIGRATED;
			}
	}
	struct counts d = { 0 };
	if (!(flags & SPAN_NO_BEGIN))
		d = counts_delta(vcpu_counts(owner), &P.spans[owner].at_begin);
	P.spans[owner].open = false;
	fprintf(P.out, "S %u %" PRIu64 " %" PRIu64 " %u", owner, tag >> 32, tag & 0xffffffffu,
		flags);
	print_counts(&d);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	int kind = (int)(uintptr_t)udata;
	uint64_t x0 = 0, x1 = 0;
	if (!read_reg(P.x0, &x0) || !read_reg(P.x1, &x1))
		fatal("qemu_plugin_read_register(x0/x1) failed in a marker callback", NULL);
	pthread_mutex_lock(&P.lock);
	if (kind == A64_MARK_SPAN_BEGIN) {
		P.spans[vcpu].open = true;
		P.spans[vcpu].tag = x0;
		P.spans[vcpu].at_begin = *vcpu_counts(vcpu);
	} else if (kind == A64_MARK_SPAN_END) {
		span_end(vcpu, x0);
	} else {
		fprintf(P.out, "R %u %" PRIu64 " %" PRIu64 "\n", vcpu, x0, x1);
	}
	pthread_mutex_unlock(&P.lock);
}

/* ---- SMC calls ---- */

/* C record flags: the normal world resumed elsewhere than after the SMC
 * (an interrupt or another exception was taken there first: the counts
 * stop at that point), or a new SMC came while one was open (the open one
 * is printed with this flag and the counts up to the new SMC). */
#define CALL_NOT_RETURNED 1u
#define CALL_UNCLOSED 2u

static uint64_t *smc_open_flag(unsigned vcpu)
{
	return qemu_plugin_scoreboard_find(P.smc_open, vcpu);
}

static void print_call(unsigned vcpu, uint64_t status, unsigned flags)
{
	struct counts d = counts_delta(vcpu_counts(vcpu), &P.smc[vcpu].at_smc);
	fprintf(P.out, "C %u 0x%" PRIx64 " 0x%" PRIx64 " %u", vcpu, P.smc[vcpu].fid, status,
		flags);
	print_counts(&d);
	*smc_open_flag(vcpu) = 0;
}

static void on_smc(unsigned int vcpu, void *udata)
{
	uint64_t x0 = 0;
	if (!read_reg(P.x0, &x0))
		fatal("qemu_plugin_read_register(x0) failed in an SMC callback", NULL);
	pthread_mutex_lock(&P.lock);
	if (*smc_open_flag(vcpu))
		print_call(vcpu, 0, CALL_UNCLOSED);
	P.smc[vcpu] = (struct smc_call){ x0, (uint64_t)(uintptr_t)udata, *vcpu_counts(vcpu) };
	*smc_open_flag(vcpu) = 1;
	pthread_mutex_unlock(&P.lock);
}

static void on_smc_return(unsigned int vcpu, void *udata)
{
	uint64_t x0 = 0;
	if (!read_reg(P.x0, &x0))
		fatal("qemu_plugin_read_register(x0) failed at an SMC's return", NULL);
	pthread_mutex_lock(&P.lock);
	if (*smc_open_flag(vcpu))
		print_call(vcpu, x0,
			   (uint64_t)(uintptr_t)udata == P.smc[vcpu].return_pc ? 0 : CALL_NOT_RETURNED);
	pthread_mutex_unlock(&P.lock);
}

/* ---- output header and totals ---- */

static void print_columns(void)
{
	fprintf(P.out, "columns");
	for (unsigned el = 0; el < 4; el++)
		for (unsigned w = 0; w < WORLD_COUNT; w++)
			fprintf(P.out, " insn_el%u_%s", el, world_names[w]);
	for (unsigned op = 0; op < A64_OP_COUNT; op++)
		fprintf(P.out, " op_%s", a64_op_names[op]);
	for (unsigned s = 0; s < MAX_STAGES; s++)
		if (s < P.n_stages)
			fprintf(P.out, " stage_%s", P.stage_names[s]);
		else
			fprintf(P.out, " stage_unused%u", s);
	for (unsigned e = 0; e < EXC_COUNT; e++)
		fprintf(P.out, " exc_%s", exc_names[e]);
	fputc('\n', P.out);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&P.lock);
	for (unsigned v = 0; v < P.max_vcpus; v++) /* e.g. PSCI SYSTEM_OFF: never returns */
		if (*smc_open_flag(v))
			print_call(v, 0, CALL_UNCLOSED);
	for (unsigned v = 0; v < P.max_vcpus; v++) {
		fprintf(P.out, "T %u", v);
		print_counts(vcpu_counts(v));
	}
	fprintf(P.out, "end\n");
	fclose(P.out);
	P.out = NULL;
	pthread_mutex_unlock(&P.lock);
}

/* ---- arguments ---- */

static unsigned stage_index(const char *name)
{
	for (unsigned i = 0; i < P.n_stages; i++)
		if (strcmp(P.stage_names[i], name) == 0)
			return i;
	if (P.n_stages == MAX_STAGES)
		fatal("stages file: more than 24 stages", NULL);
	snprintf(P.stage_names[P.n_stages], STAGE_NAME_LEN, "%s", name);
	return P.n_stages++;
}

static void load_stages(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fatal("cannot open the stages file ", path);
	char line[256], name[STAGE_NAME_LEN];
	uint64_t start, end;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "range %31s %" SCNx64 " %" SCNx64, name, &start, &end) == 3) {
			if (P.n_ranges == MAX_RANGES || end <= start)
				fatal("stages file: too many ranges or an empty one: ", line);
			P.ranges[P.n_ranges++] = (struct stage_range){ start, end, stage_index(name) };
		} else if (sscanf(line, "missing %31s", name) == 1) {
			size_t len = strlen(P.missing);
			snprintf(P.missing + len, sizeof(P.missing) - len, "%s%s", len ? "," : "", name);
		} else if (line[0] != '#' && line[0] != '\n') {
			fatal("stages file: cannot read the line: ", line);
		}
	}
	fclose(f);
}

static void print_header(void)
{
	fprintf(P.out, "rmeb-insn %d\nplugin_version %d\nqemu_plugin_api %d\n", 1, PLUGIN_VERSION,
		RMEB_QEMU_PLUGIN_API);
	fprintf(P.out, "run_id %s\nvcpus %u\n", P.run_id ? P.run_id : "-", P.max_vcpus);
	fprintf(P.out, "qemu_version %s\n", P.qemu_version ? P.qemu_version : "?");
	fprintf(P.out, "markers span_begin=hint#%d span_end=hint#%d run_begin=hint#%d\n",
		A64_MARK_SPAN_BEGIN, A64_MARK_SPAN_END, A64_MARK_RUN_BEGIN);
	fprintf(P.out, "security %s\n", P.scr_el3 ? "SCR_EL3.{NS,NSE}" : "no EL3: non-secure");
	fprintf(P.out, "stages_missing %s\n", P.missing[0] ? P.missing : "-");
	fprintf(P.out, "smc_calls C vcpu fid status flags: NS-EL2 SMC to the next NS block "
		"(flags 1 resumed elsewhere, 2 unclosed)\n");
	print_columns();
	fflush(P.out);
}

static void first_vcpu(qemu_plugin_id_t id, unsigned int vcpu)
{
	pthread_mutex_lock(&P.lock); /* vCPU threads start concurrently */
	vcpu_init(id, vcpu);
	static bool printed;
	if (!printed) {
		print_header();
		printed = true;
	}
	pthread_mutex_unlock(&P.lock);
}

RMEB_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
				    char **argv)
{
	const char *out = NULL;
	if (!info->system_emulation || strcmp(info->target_name, "aarch64") != 0)
		fatal("needs qemu-system-aarch64 (system emulation), not ", info->target_name);
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0)
			out = argv[i] + 4;
		else if (strncmp(argv[i], "stages=", 7) == 0)
			load_stages(argv[i] + 7);
		else if (strncmp(argv[i], "run=", 4) == 0)
			P.run_id = argv[i] + 4;
		else if (strncmp(argv[i], "qemu=", 5) == 0)
			P.qemu_version = argv[i] + 5;
		else
			fatal("unknown argument (out=FILE, stages=FILE, run=ID, qemu=VERSION): ",
			      argv[i]);
	}
	if (!out)
		fatal("out=FILE is required", NULL);
	P.max_vcpus = (unsigned)info->system.max_vcpus;
	if (P.max_vcpus > MAX_VCPUS)
		fatal("more vCPUs than the plugin supports (64)", NULL);
	P.out = fopen(out, "w");
	if (!P.out)
		fatal("cannot write ", out);
	P.sb = qemu_plugin_scoreboard_new(sizeof(struct counts));
	P.smc_open = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	qemu_plugin_register_vcpu_init_cb(id, first_vcpu);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
