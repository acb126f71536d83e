/*
 * `rme-bench rmi`: the RMI command-sequence runner (see rmi_cmd.h).
 *
 * Table driven: one row per command gives its spec name, its FID in each
 * ABI, the names of its input registers X1.. in spec order, how its output
 * registers X1..X4 are named and printed, and whether it takes key=value
 * parameters that the runner writes into an NS granule (REALM_CREATE,
 * REC_CREATE) or a REC run page (REC_ENTER). Everything else is generic:
 * parse all lines, then issue one SMC per line and print one line.
 */
#define _GNU_SOURCE
#include "rmi_cmd/rmi_cmd.h"
#include "cli/cli.h"
#include "results/input_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/rmi.h"
#include "abi/smc.h"
#include "abi/smc_image.h"
#include "phys/phys.h"
#include "rmm/rmm.h"

/* ------------------------------------------------------------------ */
/* The command table                                                   */
/* ------------------------------------------------------------------ */

enum out_format {
	FMT_HEX,        /* addresses, descriptors */
	FMT_DEC,        /* levels, counts */
	FMT_RTTE_STATE, /* RmiRttEntryState */
	FMT_RIPAS,      /* RmiRipas */
};

/* When the spec defines an output register. */
enum out_when {
	WHEN_SUCCESS,        /* only on RMI_SUCCESS (the common case) */
	WHEN_SUCCESS_OR_RTT, /* also on RMI_ERROR_RTT ("top" of the walk) */
	WHEN_ALWAYS,         /* VERSION: lower/higher on success and error */
};

struct out_reg {
	const char *name;  /* NULL: register not an output */
	enum out_format fmt;
	enum out_when when;
};

/* Inputs beyond the plain registers. */
enum param_kind {
	PARAMS_NONE,
	PARAMS_REALM,   /* key=value -> RmiRealmParams, PA passed after rd */
	PARAMS_REC,     /* key=value -> RmiRecParams, PA passed after rec */
	PARAMS_REC_RUN, /* optional run=PA flags=N for REC_ENTER */
};

#define MAX_PLAIN_ARGS SMC_NR_ARGS
#define MAX_OUT_REGS   (SMC_NR_RES - 1)

struct cmd_desc {
	const char *name;
	uint64_t fid[2];                        /* by enum rmi_abi, 0: absent */
	const char *args[MAX_PLAIN_ARGS + 1];   /* X1.. in order, NULL ends */
	struct out_reg out[MAX_OUT_REGS];       /* X1..X4 */
	enum param_kind params;
};

#define IN_BOTH(fid) { (fid), (fid) }
#define IN_1_0(fid)  { (fid), 0 }
#define IN_2_0(fid)  { 0, (fid) }

#define OUT(n, f)      { (n), (f), WHEN_SUCCESS }
#define OUT_RTT(n, f)  { (n), (f), WHEN_SUCCESS_OR_RTT }
#define OUT_ALWAYS(n, f) { (n), (f), WHEN_ALWAYS }

/*
 * Output register names are the spec's (DEN0137 1.0 B4.3, 2.0 B4.5):
 * "top" of DATA_DESTROY, RTT_DESTROY and RTT_UNMAP_UNPROTECTED (1.0
 * B4.3.3/16/22), "out_top" of RTT_INIT_RIPAS / RTT_SET_RIPAS (B4.3.21) and
 * of the 2.0 range commands (B4.5.17/18/65/67/77/78), which also give
 * "out_range" and "out_count".
 */
static const struct cmd_desc commands[] = {
	{ "VERSION", IN_BOTH(RMI_VERSION), { "req" },
	  { OUT_ALWAYS("lower", FMT_HEX), OUT_ALWAYS("higher", FMT_HEX) }, PARAMS_NONE },
	{ "FEATURES", IN_BOTH(RMI_FEATURES), { "index" },
	  { OUT("value", FMT_HEX) }, PARAMS_NONE },
	{ "GRANULE_DELEGATE", IN_1_0(RMI_GRANULE_DELEGATE), { "addr" }, { { 0 } }, PARAMS_NONE },
	{ "GRANULE_UNDELEGATE", IN_1_0(RMI_GRANULE_UNDELEGATE), { "addr" }, { { 0 } }, PARAMS_NONE },
	{ "DATA_CREATE", IN_1_0(RMI_DATA_CREATE), { "rd", "data", "ipa", "src", "flags" },
	  { { 0 } }, PARAMS_NONE },
	{ "DATA_CREATE_UNKNOWN", IN_1_0(RMI_DATA_CREATE_UNKNOWN), { "rd", "data", "ipa" },
	  { { 0 } }, PARAMS_NONE },
	{ "DATA_DESTROY", IN_1_0(RMI_DATA_DESTROY), { "rd", "ipa" },
	  { OUT("data", FMT_HEX), OUT_RTT("top", FMT_HEX) }, PARAMS_NONE },
	{ "REALM_ACTIVATE", IN_BOTH(RMI_REALM_ACTIVATE), { "rd" }, { { 0 } }, PARAMS_NONE },
	{ "REALM_CREATE", IN_BOTH(RMI_REALM_CREATE), { "rd" }, { { 0 } }, PARAMS_REALM },
	{ "REALM_DESTROY", IN_BOTH(RMI_REALM_DESTROY), { "rd" }, { { 0 } }, PARAMS_NONE },
	{ "REC_CREATE", IN_BOTH(RMI_REC_CREATE), { "rd", "rec" }, { { 0 } }, PARAMS_REC },
	{ "REC_DESTROY", IN_BOTH(RMI_REC_DESTROY), { "rec" }, { { 0 } }, PARAMS_NONE },
	{ "REC_ENTER", IN_BOTH(RMI_REC_ENTER), { "rec" }, { { 0 } }, PARAMS_REC_RUN },
	{ "RTT_CREATE", IN_BOTH(RMI_RTT_CREATE), { "rd", "rtt", "ipa", "level" },
	  { { 0 } }, PARAMS_NONE },
	{ "RTT_DESTROY", IN_BOTH(RMI_RTT_DESTROY), { "rd", "ipa", "level" },
	  { OUT("rtt", FMT_HEX), OUT_RTT("top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_MAP_UNPROTECTED", IN_1_0(RMI_RTT_MAP_UNPROTECTED), { "rd", "ipa", "level", "desc" },
	  { { 0 } }, PARAMS_NONE },
	{ "RTT_READ_ENTRY", IN_BOTH(RMI_RTT_READ_ENTRY), { "rd", "ipa", "level" },
	  { OUT("walk_level", FMT_DEC), OUT("state", FMT_RTTE_STATE),
	    OUT("desc", FMT_HEX), OUT("ripas", FMT_RIPAS) }, PARAMS_NONE },
	{ "RTT_UNMAP_UNPROTECTED", IN_1_0(RMI_RTT_UNMAP_UNPROTECTED), { "rd", "ipa", "level" },
	  { OUT_RTT("top", FMT_HEX) }, PARAMS_NONE },
	{ "PSCI_COMPLETE", IN_BOTH(RMI_PSCI_COMPLETE), { "calling_rec", "target_rec", "status" },
	  { { 0 } }, PARAMS_NONE },
	{ "RTT_FOLD", IN_BOTH(RMI_RTT_FOLD), { "rd", "ipa", "level" },
	  { OUT("rtt", FMT_HEX) }, PARAMS_NONE },
	{ "REC_AUX_COUNT", IN_1_0(RMI_REC_AUX_COUNT), { "rd" },
	  { OUT("aux_count", FMT_DEC) }, PARAMS_NONE },
	{ "RTT_INIT_RIPAS", IN_BOTH(RMI_RTT_INIT_RIPAS), { "rd", "base", "top" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_SET_RIPAS", IN_BOTH(RMI_RTT_SET_RIPAS), { "rd", "rec", "base", "top" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_DATA_MAP_INIT", IN_2_0(RMI_RTT_DATA_MAP_INIT), { "rd", "data", "ipa", "src", "flags" },
	  { { 0 } }, PARAMS_NONE },
	{ "GRANULE_RANGE_DELEGATE", IN_2_0(RMI_GRANULE_RANGE_DELEGATE), { "base", "top" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "GRANULE_RANGE_UNDELEGATE", IN_2_0(RMI_GRANULE_RANGE_UNDELEGATE), { "base", "top" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_DATA_MAP", IN_2_0(RMI_RTT_DATA_MAP), { "rd", "base", "top", "flags", "oaddr" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_DATA_UNMAP", IN_2_0(RMI_RTT_DATA_UNMAP), { "rd", "base", "top", "flags", "oaddr" },
	  { OUT("out_top", FMT_HEX), OUT("out_range", FMT_HEX), OUT("out_count", FMT_DEC) }, PARAMS_NONE },
	{ "RTT_UNPROT_MAP", IN_2_0(RMI_RTT_UNPROT_MAP), { "rd", "base", "top", "flags", "oaddr" },
	  { OUT("out_top", FMT_HEX) }, PARAMS_NONE },
	{ "RTT_UNPROT_UNMAP", IN_2_0(RMI_RTT_UNPROT_UNMAP), { "rd", "base", "top", "flags", "oaddr" },
	  { OUT("out_top", FMT_HEX), OUT("out_range", FMT_HEX), OUT("out_count", FMT_DEC) }, PARAMS_NONE },
	{ "OP_CONTINUE", IN_2_0(RMI_OP_CONTINUE), { "handle", "flags" }, { { 0 } }, PARAMS_NONE },
	{ "REALM_TERMINATE", IN_2_0(RMI_REALM_TERMINATE), { "rd" }, { { 0 } }, PARAMS_NONE },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cmd_desc *find_command(const char *name)
{
	/* The spec's full name is accepted too. */
	if (strncmp(name, "RMI_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The command with function ID `fid` under `abi` (0 is no FID), or NULL. */
static const struct cmd_desc *find_command_by_fid(enum rmi_abi abi, uint64_t fid)
{
	for (size_t i = 0; i < NR_COMMANDS && fid; i++)
		if (commands[i].fid[abi] == fid)
			return &commands[i];
	return NULL;
}

static unsigned count_plain_args(const struct cmd_desc *d)
{
	unsigned n = 0;

	while (n < MAX_PLAIN_ARGS && d->args[n])
		n++;
	return n;
}

/* The FID to issue for `d` under `abi`, or 0 if nothing may be issued: a
 * command of the other ABI is issued with its own FID (the RMM answers
 * SMC_UNKNOWN), unless that FID means another command in this ABI. */
static uint64_t fid_to_issue(const struct cmd_desc *d, enum rmi_abi abi)
{
	uint64_t other;

	if (d->fid[abi])
		return d->fid[abi];
	other = d->fid[abi == RMI_ABI_1_0 ? RMI_ABI_2_0 : RMI_ABI_1_0];
	return find_command_by_fid(abi, other) ? 0 : other;
}

/* ------------------------------------------------------------------ */
/* Parameter keys                                                      */
/* ------------------------------------------------------------------ */

struct symbol {
	const char *name;
	uint64_t value;
};

struct param_key {
	const char *name;
	size_t offset;                 /* of a 64-bit field in the page */
	const struct symbol *symbols;  /* names accepted besides numbers */
};

static const struct symbol hash_symbols[] = {
	{ "sha256", RMI_HASH_SHA_256 },
	{ "sha512", RMI_HASH_SHA_512 },
	{ NULL, 0 },
};

#define REALM_KEY(f) { #f, offsetof(struct rmi_realm_params, f), NULL }
static const struct param_key realm_keys[] = {
	REALM_KEY(flags), REALM_KEY(s2sz), REALM_KEY(sve_vl), REALM_KEY(num_bps),
	REALM_KEY(num_wps), REALM_KEY(pmu_num_ctrs),
	{ "hash_algo", offsetof(struct rmi_realm_params, hash_algo), hash_symbols },
	REALM_KEY(vmid), REALM_KEY(rtt_base), REALM_KEY(rtt_level_start),
	REALM_KEY(rtt_num_start),
	{ NULL, 0, NULL },
};

#define REC_KEY(f) { #f, offsetof(struct rmi_rec_params, f), NULL }
#define REC_GPR(i) { "gpr" #i, offsetof(struct rmi_rec_params, gprs) + 8 * (i), NULL }
/* "aux" (a comma-separated PA list) is handled apart: it sets num_aux too. */
static const struct param_key rec_keys[] = {
	REC_KEY(flags), REC_KEY(mpidr), REC_KEY(pc), REC_KEY(num_aux),
	REC_GPR(0), REC_GPR(1), REC_GPR(2), REC_GPR(3),
	REC_GPR(4), REC_GPR(5), REC_GPR(6), REC_GPR(7),
	{ NULL, 0, NULL },
};

/* ------------------------------------------------------------------ */
/* Formatting an SMC as a line (the inverse of the parser)             */
/* ------------------------------------------------------------------ */

static int put(char **p, size_t *left, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int put(char **p, size_t *left, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*p, *left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= *left)
		return -1;
	*p += n;
	*left -= (size_t)n;
	return 0;
}

/* Every non-zero field of a parameter page as key=value (the runner starts
 * from a zeroed page, so zero fields need no key). */
static int put_keys(char **p, size_t *left, const struct param_key *keys, const void *page)
{
	for (const struct param_key *k = keys; k->name; k++) {
		uint64_t v;
		memcpy(&v, (const char *)page + k->offset, sizeof(v));
		if (v && put(p, left, " %s=%#" PRIx64, k->name, v))
			return -1;
	}
	return 0;
}

const char *rmi_cmd_name(enum rmi_abi abi, uint64_t fid)
{
	const struct cmd_desc *d = find_command_by_fid(abi, fid);

	return d ? d->name : NULL;
}

int rmi_cmd_format(enum rmi_abi abi, const struct smc_args *a, const void *params, char *buf,
		   size_t len)
{
	const struct cmd_desc *d = find_command_by_fid(abi, a->fid);
	char *p = buf;
	size_t left = len;

	if (!d || put(&p, &left, "%s", d->name))
		return -1;
	for (unsigned i = 0; i < count_plain_args(d); i++)
		if (put(&p, &left, " %#" PRIx64, a->x[i]))
			return -1;
	if (d->params == PARAMS_REALM && params)
		return put_keys(&p, &left, realm_keys, params);
	if (d->params == PARAMS_REC && params) {
		const struct rmi_rec_params *rec = params;
		if (put_keys(&p, &left, rec_keys, params))
			return -1;
		for (uint64_t i = 0; i < rec->num_aux && i < MAX_REC_AUX_GRANULES; i++)
			if (put(&p, &left, "%s%#" PRIx64, i ? "," : " aux=", rec->aux[i]))
				return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parsed lines                                                        */
/* ------------------------------------------------------------------ */

struct parsed_cmd {
	unsigned line;
	const struct cmd_desc *desc;
	uint64_t x[SMC_NR_ARGS];   /* plain input registers X1.. */
	void *page;                /* PARAMS_REALM / PARAMS_REC contents */
	bool has_run, has_flags;   /* PARAMS_REC_RUN */
	uint64_t run_pa, entry_flags;
};


struct parse_ctx {
	const char *file;
	unsigned line;
	FILE *err;
};

static void parse_error(const struct parse_ctx *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void parse_error(const struct parse_ctx *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->err, "rme-bench rmi: %s:%u: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex with 0x, or decimal with an optional '-' (two's complement, for the
 * signed levels). No octal: "010" is ten, as a user would read it. */
static bool parse_u64(const char *s, uint64_t *out)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (neg)
			return false;
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		int d = digit_value(*s);

		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		v = (uint64_t)0 - v;
	}
	*out = v;
	return true;
}

static bool parse_value(const char *s, const struct symbol *symbols, uint64_t *out)
{
	for (const struct symbol *sym = symbols; sym && sym->name; sym++) {
		if (strcmp(sym->name, s) == 0) {
			*out = sym->value;
			return true;
		}
	}
	return parse_u64(s, out);
}

/* Split `line` in place into whitespace-separated tokens, dropping a `#`
 * comment. Returns the number of tokens, or -1 if there are more than max. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *s = strtok(line, " \t\r\n\v\f"); s; s = strtok(NULL, " \t\r\n\v\f")) {
		if (n == max)
			return -1;
		tok[n++] = s;
	}
	return n;
}

static void list_keys(FILE *f, const struct param_key *keys, bool with_aux)
{
	for (const struct param_key *k = keys; k->name; k++)
		fprintf(f, "%s%s", k == keys ? "" : " ", k->name);
	if (with_aux)
		fputs(" aux", f);
}

static int find_key(const struct param_key *keys, const char *name)
{
	for (int i = 0; keys[i].name; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/* aux=PA[,PA...]: the REC's auxiliary granules; sets num_aux unless the
 * line gives num_aux itself (to test a mismatch on purpose). */
static bool parse_aux_list(const struct parse_ctx *p, char *list, struct rmi_rec_params *rec,
			   uint64_t *count)
{
	uint64_t n = 0;

	for (char *item = strsep(&list, ","); item; item = strsep(&list, ",")) {
		if (n == MAX_REC_AUX_GRANULES) {
			parse_error(p, "REC_CREATE: aux: more than %u granules", MAX_REC_AUX_GRANULES);
			return false;
		}
		if (!parse_u64(item, &rec->aux[n])) {
			parse_error(p, "REC_CREATE: aux: bad number '%s'", item);
			return false;
		}
		n++;
	}
	*count = n;
	return true;
}

/* key=value tokens of REALM_CREATE / REC_CREATE into a zeroed page. */
static bool parse_param_page(const struct parse_ctx *p, const struct cmd_desc *d,
			     char **tok, int ntok, void *page)
{
	bool is_rec = d->params == PARAMS_REC;
	const struct param_key *keys = is_rec ? rec_keys : realm_keys;
	uint64_t seen = 0, aux_count = 0;
	bool aux_given = false;

	for (int i = 0; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		uint64_t v;
		int k;

		if (!eq) {
			parse_error(p, "%s: expected key=value, got '%s'", d->name, tok[i]);
			return false;
		}
		*eq = '\0';
		if (is_rec && strcmp(tok[i], "aux") == 0) {
			if (aux_given) {
				parse_error(p, "%s: key 'aux' given twice", d->name);
				return false;
			}
			aux_given = true;
			if (!parse_aux_list(p, eq + 1, page, &aux_count))
				return false;
			continue;
		}
		k = find_key(keys, tok[i]);
		if (k < 0) {
			parse_error(p, "%s: unknown key '%s'", d->name, tok[i]);
			fputs("  keys: ", p->err);
			list_keys(p->err, keys, is_rec);
			fputc('\n', p->err);
			return false;
		}
		if (seen & (1ULL << k)) {
			parse_error(p, "%s: key '%s' given twice", d->name, tok[i]);
			return false;
		}
		seen |= 1ULL << k;
		if (!parse_value(eq + 1, keys[k].symbols, &v)) {
			parse_error(p, "%s: bad value '%s' for %s", d->name, eq + 1, tok[i]);
			return false;
		}
		memcpy((char *)page + keys[k].offset, &v, sizeof(v));
	}
	if (is_rec && aux_given && !(seen & (1ULL << find_key(rec_keys, "num_aux"))))
		((struct rmi_rec_params *)page)->num_aux = aux_count;
	return true;
}

/* Optional run=PA and flags=N of REC_ENTER. */
static bool parse_run_keys(const struct parse_ctx *p, char **tok, int ntok, struct parsed_cmd *c)
{
	for (int i = 0; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		bool *given;
		uint64_t *dst;

		if (!eq) {
			parse_error(p, "REC_ENTER: expected run=PA or flags=N, got '%s'", tok[i]);
			return false;
		}
		*eq = '\0';
		if (strcmp(tok[i], "run") == 0) {
			given = &c->has_run;
			dst = &c->run_pa;
		} else if (strcmp(tok[i], "flags") == 0) {
			given = &c->has_flags;
			dst = &c->entry_flags;
		} else {
			parse_error(p, "REC_ENTER: unknown key '%s' (keys: run flags)", tok[i]);
			return false;
		}
		if (*given) {
			parse_error(p, "REC_ENTER: key '%s' given twice", tok[i]);
			return false;
		}
		if (!parse_u64(eq + 1, dst)) {
			parse_error(p, "REC_ENTER: bad number '%s' for %s", eq + 1, tok[i]);
			return false;
		}
		*given = true;
	}
	return true;
}

static void arg_count_error(const struct parse_ctx *p, const struct cmd_desc *d, int got)
{
	unsigned want = count_plain_args(d);
	char names[128] = "";

	for (unsigned i = 0; i < want; i++) {
		size_t used = strlen(names);

		snprintf(names + used, sizeof(names) - used, "%s%s", i ? " " : "", d->args[i]);
	}
	parse_error(p, "%s expects %u argument%s (%s)%s, got %d", d->name, want,
		    want == 1 ? "" : "s", names,
		    d->params == PARAMS_NONE ? "" : " then key=value", got);
}

static bool parse_plain_args(const struct parse_ctx *p, const struct cmd_desc *d,
			     char **tok, int ntok, struct parsed_cmd *c)
{
	unsigned want = count_plain_args(d);

	if ((unsigned)ntok < want || (d->params == PARAMS_NONE && (unsigned)ntok > want)) {
		arg_count_error(p, d, ntok);
		return false;
	}
	for (unsigned i = 0; i < want; i++) {
		if (strchr(tok[i], '=')) {
			parse_error(p, "%s: missing argument %s before '%s'", d->name, d->args[i], tok[i]);
			return false;
		}
		if (!parse_u64(tok[i], &c->x[i])) {
			parse_error(p, "%s: bad number '%s' for %s", d->name, tok[i], d->args[i]);
			return false;
		}
	}
	return true;
}

#define MAX_TOKENS 64

/* Parse one line into *c. Returns 1 for a command, 0 for a blank or
 * comment line, -1 (after a message) for a malformed line. */
static int parse_line(const struct parse_ctx *p, char *text, struct parsed_cmd *c)
{
	char *tok[MAX_TOKENS];
	int ntok = tokenize(text, tok, MAX_TOKENS);
	unsigned nplain;

	memset(c, 0, sizeof(*c));
	if (ntok < 0) {
		parse_error(p, "more than %d words", MAX_TOKENS);
		return -1;
	}
	if (ntok == 0)
		return 0;
	c->line = p->line;
	c->desc = find_command(tok[0]);
	if (!c->desc) {
		parse_error(p, "unknown command '%s'", tok[0]);
		return -1;
	}
	if (!parse_plain_args(p, c->desc, tok + 1, ntok - 1, c))
		return -1;
	nplain = count_plain_args(c->desc);
	switch (c->desc->params) {
	case PARAMS_NONE:
		return 1;
	case PARAMS_REC_RUN:
		return parse_run_keys(p, tok + 1 + nplain, ntok - 1 - (int)nplain, c) ? 1 : -1;
	case PARAMS_REALM:
	case PARAMS_REC:
		c->page = calloc(1, GRANULE_SIZE);
		if (!c->page) {
			parse_error(p, "out of memory");
			return -1;
		}
		return parse_param_page(p, c->desc, tok + 1 + nplain, ntok - 1 - (int)nplain,
					c->page) ? 1 : -1;
	}
	return -1;
}

/*
 * Read every line once to check it, holding one line at a time (memory
 * does not grow with the file): 0 when all are well formed, else every
 * malformed line is reported and RMI_CMD_BAD_INPUT returned. A stream
 * that cannot be read again (stdin) is copied to COPY on the way.
 */
static int check_stream(FILE *in, const char *name, FILE *err, FILE *copy, char *text)
{
	struct parse_ctx p = { .file = name, .line = 0, .err = err };
	enum input_line got;
	bool bad = false;

	while ((got = input_file_line(in, text, INPUT_LINE_MAX)) == INPUT_LINE_OK) {
		struct parsed_cmd c;

		p.line++;
		if (copy && fputs(text, copy) == EOF) {
			fprintf(err, "rme-bench rmi: %s: cannot keep a copy of the input: %s\n", name,
				strerror(errno));
			return RMI_CMD_FAILURE;
		}
		bad |= parse_line(&p, text, &c) < 0;
		free(c.page);
	}
	if (got != INPUT_LINE_EOF) {
		fprintf(err, "rme-bench rmi: %s:%u: %s%s%s\n", name, p.line + 1,
			input_line_problem(got), got == INPUT_LINE_ERROR ? ": " : "",
			got == INPUT_LINE_ERROR ? strerror(errno) : "");
		return RMI_CMD_BAD_INPUT;
	}
	return bad ? RMI_CMD_BAD_INPUT : RMI_CMD_OK;
}

/* ------------------------------------------------------------------ */
/* Rendering results                                                   */
/* ------------------------------------------------------------------ */

static const char *const status_names[RMI_STATUS_COUNT] = {
	[RMI_SUCCESS] = "RMI_SUCCESS",
	[RMI_ERROR_INPUT] = "RMI_ERROR_INPUT",
	[RMI_ERROR_REALM] = "RMI_ERROR_REALM",
	[RMI_ERROR_REC] = "RMI_ERROR_REC",
	[RMI_ERROR_RTT] = "RMI_ERROR_RTT",
	[RMI_ERROR_NOT_SUPPORTED] = "RMI_ERROR_NOT_SUPPORTED",
	[RMI_ERROR_DEVICE] = "RMI_ERROR_DEVICE",
	[RMI_ERROR_RTT_AUX] = "RMI_ERROR_RTT_AUX",
	[RMI_ERROR_PSMMU_ST] = "RMI_ERROR_PSMMU_ST",
	[RMI_ERROR_DPT] = "RMI_ERROR_DPT",
	[RMI_BUSY] = "RMI_BUSY",
	[RMI_ERROR_GLOBAL] = "RMI_ERROR_GLOBAL",
	[RMI_ERROR_TRACKING] = "RMI_ERROR_TRACKING",
	[RMI_INCOMPLETE] = "RMI_INCOMPLETE",
	[RMI_BLOCKED] = "RMI_BLOCKED",
	[RMI_ERROR_GPT] = "RMI_ERROR_GPT",
	[RMI_ERROR_GRANULE] = "RMI_ERROR_GRANULE",
};

static const char *const rtte_state_names[] = {
	"UNASSIGNED", "ASSIGNED", "TABLE", "ASSIGNED_DEV", NULL, "AUX_DESTROYED",
};

static const char *const ripas_names[] = { "EMPTY", "RAM", "DESTROYED", "DEV" };

static const char *const exit_reason_names[] = {
	[RMI_EXIT_SYNC] = "SYNC",
	[RMI_EXIT_IRQ] = "IRQ",
	[RMI_EXIT_FIQ] = "FIQ",
	[RMI_EXIT_PSCI] = "PSCI",
	[RMI_EXIT_RIPAS_CHANGE] = "RIPAS_CHANGE",
	[RMI_EXIT_HOST_CALL] = "HOST_CALL",
	[RMI_EXIT_SERROR] = "SERROR",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A named value, or the number itself when it has no name: an unexpected
 * value must stay visible, never be hidden behind a guess. */
static void print_enum(FILE *out, const char *const *names, size_t n, uint64_t v)
{
	if (v < n && names[v])
		fputs(names[v], out);
	else
		fprintf(out, "%" PRIu64, v);
}

static void print_value(FILE *out, const char *name, enum out_format fmt, uint64_t v)
{
	fprintf(out, " %s=", name);
	switch (fmt) {
	case FMT_HEX:
		fprintf(out, "0x%" PRIx64, v);
		break;
	case FMT_DEC:
		fprintf(out, "%" PRId64, (int64_t)v);
		break;
	case FMT_RTTE_STATE:
		print_enum(out, rtte_state_names, ARRAY_LEN(rtte_state_names), v);
		break;
	case FMT_RIPAS:
		print_enum(out, ripas_names, ARRAY_LEN(ripas_names), v);
		break;
	}
}

/* Where the spec gives an index: the walk level of every RMI_ERROR_RTT
 * (and _RTT_AUX); RMI_ERROR_REALM carries one only in REC_ENTER's
 * realm_new (0) and system_off (1) conditions (DEN0137 1.0 B4.3.14).
 * A non-zero index is printed whatever the command, so none is hidden. */
static bool status_has_index(const struct cmd_desc *d, unsigned status)
{
	if (status == RMI_ERROR_RTT || status == RMI_ERROR_RTT_AUX)
		return true;
	return status == RMI_ERROR_REALM && strcmp(d->name, "REC_ENTER") == 0;
}

/* STATUS [index]; returns the status (or RMI_STATUS_COUNT if X0 is not an
 * RMI result at all). */
static unsigned print_status(FILE *out, const struct cmd_desc *d, enum rmi_abi abi, uint64_t x0)
{
	unsigned status = RMI_RETURN_STATUS(x0), index = RMI_RETURN_INDEX(x0);

	if (x0 == SMC_UNKNOWN) {
		fputs(d->fid[abi] ? " SMC_UNKNOWN" : " NOT_SUPPORTED_BY_ABI", out);
		return RMI_STATUS_COUNT;
	}
	if (status < RMI_STATUS_COUNT)
		fprintf(out, " %s", status_names[status]);
	else
		fprintf(out, " RMI_STATUS_%u", status);
	if (status_has_index(d, status) || index)
		fprintf(out, " %u", index);
	if (x0 >> 16)
		fprintf(out, " x0=0x%" PRIx64, x0);
	return status;
}

static bool out_defined(enum out_when when, unsigned status)
{
	switch (when) {
	case WHEN_SUCCESS:
		return status == RMI_SUCCESS;
	case WHEN_SUCCESS_OR_RTT:
		return status == RMI_SUCCESS || status == RMI_ERROR_RTT;
	case WHEN_ALWAYS:
		return status < RMI_STATUS_COUNT;
	}
	return false;
}

static void print_exit_record(FILE *out, const struct rmi_rec_exit *e)
{
	fputs(" exit_reason=", out);
	print_enum(out, exit_reason_names, ARRAY_LEN(exit_reason_names), e->exit_reason);
	fprintf(out, " esr=0x%" PRIx64 " far=0x%" PRIx64 " hpfar=0x%" PRIx64,
		e->esr, e->far, e->hpfar);
	switch (e->exit_reason) {
	case RMI_EXIT_RIPAS_CHANGE:
		fprintf(out, " ripas_base=0x%" PRIx64 " ripas_top=0x%" PRIx64,
			e->ripas_base, e->ripas_top);
		print_value(out, "ripas_value", FMT_RIPAS, e->ripas_value);
		break;
	case RMI_EXIT_PSCI:
		fprintf(out, " gpr0=0x%" PRIx64, e->gprs[0]);
		break;
	case RMI_EXIT_HOST_CALL:
		fprintf(out, " imm=0x%" PRIx64, e->imm);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Execution                                                           */
/* ------------------------------------------------------------------ */

struct runner {
	struct phys_mem *pm;
	struct rmm *rmm;
	enum rmi_abi abi;
	/* NS granules the runner passes by address: the top of the DRAM, far
	 * from the low addresses users name in command files. */
	uint64_t params_pa;
	uint64_t run_pa;
	FILE *image;            /* --smc-image: the calls as issued, or NULL */
	uint32_t image_calls;
	bool image_error;
};

/* REC_AUX_COUNT the model answers (RMI 1.0; --rec-aux), and whether it
 * follows TF-RMM where the 2.0 specification is stricter (--follow). */
static unsigned runner_rec_aux;
static bool runner_follow_tfrmm;
static const char *runner_image_path; /* --smc-image */

static void image_header(const struct runner *r, struct smc_image_header *h, uint64_t size)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SMC_IMAGE_MAGIC, sizeof(h->magic));
	h->version = SMC_IMAGE_VERSION;
	h->n_calls = r->image_calls;
	h->size = size;
	h->abi = r->abi == RMI_ABI_1_0 ? 0x10000 : 0x20000;
}

/* Open --smc-image's file and write a provisional header (no calls yet). */
static int image_open(struct runner *r, FILE *err)
{
	struct smc_image_header h;

	if (!runner_image_path)
		return RMI_CMD_OK;
	r->image = fopen(runner_image_path, "wb");
	image_header(r, &h, 0);
	if (!r->image || fwrite(&h, sizeof(h), 1, r->image) != 1) {
		fprintf(err, "rme-bench rmi: cannot write the SMC image %s: %s\n", runner_image_path,
			strerror(errno));
		if (r->image)
			fclose(r->image);
		r->image = NULL;
		return RMI_CMD_FAILURE;
	}
	return RMI_CMD_OK;
}

/* The final header (call count, size); a write error anywhere fails. */
static int image_close(struct runner *r, FILE *err)
{
	struct smc_image_header h;
	long size;

	if (!r->image)
		return RMI_CMD_OK;
	size = ftell(r->image);
	image_header(r, &h, size < 0 ? 0 : (uint64_t)size);
	bool bad = r->image_error || size < 0 || fseek(r->image, 0, SEEK_SET) != 0 ||
		   fwrite(&h, sizeof(h), 1, r->image) != 1;
	bad |= fclose(r->image) != 0;
	r->image = NULL;
	if (bad) {
		fprintf(err, "rme-bench rmi: cannot write the SMC image %s: %s\n", runner_image_path,
			strerror(errno));
		return RMI_CMD_FAILURE;
	}
	return RMI_CMD_OK;
}

static int runner_init(struct runner *r, enum rmi_abi abi, FILE *err)
{
	struct rmm_config cfg = { .abi = abi, .max_s2sz = 48, .rec_aux_count = runner_rec_aux,
				  .follow_tfrmm = runner_follow_tfrmm };
	uint64_t top;

	memset(r, 0, sizeof(*r));
	r->abi = abi;
	r->pm = phys_create(PHYS_DEFAULT_BASE, PHYS_DEFAULT_SIZE);
	if (!r->pm) {
		fputs("rme-bench rmi: cannot create the modeled DRAM\n", err);
		return RMI_CMD_FAILURE;
	}
	r->rmm = rmm_create(&cfg, r->pm);
	if (!r->rmm) {
		fputs("rme-bench rmi: cannot create the RMM model\n", err);
		phys_destroy(r->pm);
		return RMI_CMD_FAILURE;
	}
	top = phys_base(r->pm) + phys_size(r->pm);
	r->params_pa = top - GRANULE_SIZE;
	r->run_pa = top - 2 * GRANULE_SIZE;
	return RMI_CMD_OK;
}

static void runner_fini(struct runner *r)
{
	rmm_destroy(r->rmm);
	phys_destroy(r->pm);
}

/* Write the parameter page as the host would, before the SMC. */
static void put_params(struct runner *r, const struct parsed_cmd *c, struct smc_args *a)
{
	void *va = phys_va(r->pm, r->params_pa);

	/* params_pa lies inside the DRAM, so va is never NULL. */
	if (va)
		memcpy(va, c->page, GRANULE_SIZE);
	a->x[count_plain_args(c->desc)] = r->params_pa;
}

/* The run page for REC_ENTER: the user's, or the runner's own. entry.flags
 * is written when the runner owns the page or flags= was given. */
static uint64_t put_run(struct runner *r, const struct parsed_cmd *c, struct smc_args *a)
{
	uint64_t run = c->has_run ? c->run_pa : r->run_pa;

	if (!c->has_run || c->has_flags) {
		struct rmi_rec_run *p = phys_va(r->pm, run);

		if (p)
			p->entry.flags = c->entry_flags;
	}
	a->x[1] = run;
	return run;
}

/* One record of the SMC image (abi/smc_image.h): the call as the model
 * got it, and the NS page it passed, if any, for the driver to place. */
static void image_put(struct runner *r, const struct parsed_cmd *c, const struct smc_args *a)
{
	const struct cmd_desc *d = c->desc;
	struct smc_image_call rec = { .fid = a->fid, .line = c->line };
	struct rmi_rec_run run;
	const void *page = NULL;

	memcpy(rec.x, a->x, sizeof(rec.x));
	if (d->params == PARAMS_REALM || d->params == PARAMS_REC) {
		page = c->page;
		rec.page_reg = count_plain_args(d) + 1;
	} else if (d->params == PARAMS_REC_RUN && !c->has_run) {
		memset(&run, 0, sizeof(run));
		run.entry.flags = c->entry_flags;
		page = &run;
		rec.page_reg = 2;
	}
	if (page)
		rec.x[rec.page_reg - 1] = 0;
	if (fwrite(&rec, sizeof(rec), 1, r->image) != 1 ||
	    (page && fwrite(page, SMC_IMAGE_PAGE, 1, r->image) != 1))
		r->image_error = true;
	r->image_calls++;
}

static void run_one(struct runner *r, const struct parsed_cmd *c, FILE *out)
{
	const struct cmd_desc *d = c->desc;
	struct smc_args a = { 0 };
	struct smc_res res = { { SMC_UNKNOWN } };
	uint64_t run = 0, fid = fid_to_issue(d, r->abi);
	unsigned status;

	memcpy(a.x, c->x, sizeof(a.x));
	a.fid = fid;
	if (d->params == PARAMS_REALM || d->params == PARAMS_REC)
		put_params(r, c, &a);
	else if (d->params == PARAMS_REC_RUN)
		run = put_run(r, c, &a);
	if (fid)
		rmm_smc(r->rmm, &a, &res);
	if (fid && r->image)
		image_put(r, c, &a);

	fprintf(out, "%u %s", c->line, d->name);
	status = print_status(out, d, r->abi, res.x[0]);
	if (d->params == PARAMS_REALM || d->params == PARAMS_REC)
		fprintf(out, " params=0x%" PRIx64, r->params_pa);
	if (d->params == PARAMS_REC_RUN) {
		const struct rmi_rec_run *p = phys_va_if_backed(r->pm, run);

		fprintf(out, " run=0x%" PRIx64, run);
		if (status == RMI_SUCCESS && p)
			print_exit_record(out, &p->exit);
	}
	for (unsigned i = 0; i < MAX_OUT_REGS; i++)
		if (d->out[i].name && out_defined(d->out[i].when, status))
			print_value(out, d->out[i].name, d->out[i].fmt, res.x[i + 1]);
	fputc('\n', out);
}

/* Run the (checked) lines of IN one at a time: parse, issue, free. */
static void run_checked(struct runner *r, FILE *in, const char *name, FILE *out, char *text)
{
	struct parse_ctx p = { .file = name, .line = 0, .err = stderr };

	while (input_file_line(in, text, INPUT_LINE_MAX) == INPUT_LINE_OK) {
		struct parsed_cmd c;

		p.line++;
		if (parse_line(&p, text, &c) > 0)
			run_one(r, &c, out);
		free(c.page);
	}
}

int rmi_cmd_run_stream(FILE *in, const char *in_name, enum rmi_abi abi, FILE *out, FILE *err)
{
	struct runner r;
	char *text = malloc(INPUT_LINE_MAX);
	/* A stream that cannot seek back (a pipe) is checked into a copy. */
	bool seekable = fseek(in, 0, SEEK_CUR) == 0;
	long start = seekable ? ftell(in) : 0;
	FILE *copy = seekable ? NULL : tmpfile();
	FILE *again = copy ? copy : in;
	int rc = RMI_CMD_FAILURE;

	if (!text || (seekable ? start < 0 : !copy))
		fprintf(err, "rme-bench rmi: %s: %s\n", in_name,
			!text ? "out of memory" : "cannot keep a copy to read it twice");
	else
		rc = check_stream(in, in_name, err, copy, text);

	if (rc == RMI_CMD_OK && fseek(again, start, SEEK_SET) != 0) {
		fprintf(err, "rme-bench rmi: %s: cannot read it again: %s\n", in_name, strerror(errno));
		rc = RMI_CMD_FAILURE;
	}
	if (rc == RMI_CMD_OK)
		rc = runner_init(&r, abi, err);
	if (rc == RMI_CMD_OK && (rc = image_open(&r, err)) != RMI_CMD_OK)
		runner_fini(&r);
	if (rc == RMI_CMD_OK) {
		run_checked(&r, again, in_name, out, text);
		rc = image_close(&r, err);
		runner_fini(&r);
		if (rc == RMI_CMD_OK && (fflush(out) != 0 || ferror(out))) {
			fprintf(err, "rme-bench rmi: write error: %s\n", strerror(errno));
			rc = RMI_CMD_FAILURE;
		}
	}
	if (copy)
		fclose(copy);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: rme-bench rmi [--abi 1.0|2.0] [--rec-aux N] [--follow spec|tfrmm]\n"
	      "                     [--smc-image OUT] FILE\n"
	      "  Run one RMI command per line of FILE ('-' = stdin) against a fresh\n"
	      "  RMM model (NS DRAM at 0x80000000) and print one result line each.\n"
	      "  Line: COMMAND ARG... (spec name without RMI_, input registers in\n"
	      "  order, hex 0x.. or decimal); REALM_CREATE rd key=value...;\n"
	      "  REC_CREATE rd rec key=value...; REC_ENTER rec [run=PA] [flags=N].\n"
	      "  --rec-aux N: the REC auxiliary granules the model asks for (RMI 1.0\n"
	      "  REC_AUX_COUNT, implementation defined; default 0, TF-RMM asks 16).\n"
	      "  --follow tfrmm: where the RMM 2.0 spec's rtte_state conditions are\n"
	      "  stricter than TF-RMM, behave as TF-RMM (default: the spec;\n"
	      "  docs/rmm-model.md lists the points).\n"
	      "  --smc-image OUT: also write the calls as issued (abi/smc_image.h) for\n"
	      "  tools/rmi_smc_driver to issue with real SMCs (docs/qemu.md).\n", f);
}

static bool parse_abi(const char *s, enum rmi_abi *abi)
{
	if (strcmp(s, "1.0") == 0)
		*abi = RMI_ABI_1_0;
	else if (strcmp(s, "2.0") == 0)
		*abi = RMI_ABI_2_0;
	else
		return false;
	return true;
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("rme-bench rmi: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return RMI_CMD_BAD_INPUT;
}

int rmi_cmd_main(int argc, char **argv)
{
	enum rmi_abi abi = RMI_ABI_1_0;
	const char *file = NULL;
	FILE *in;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return RMI_CMD_OK;
		} else if (strcmp(a, "--abi") == 0 || strncmp(a, "--abi=", 6) == 0) {
			const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v)
				return usage_error("%s needs a value (1.0 or 2.0)", a);
			if (!parse_abi(v, &abi))
				return usage_error("unknown ABI '%s' (1.0 or 2.0)", v);
		} else if (strcmp(a, "--follow") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : "";

			if (strcmp(v, "spec") && strcmp(v, "tfrmm"))
				return usage_error("--follow: '%s' is not spec or tfrmm", v);
			runner_follow_tfrmm = !strcmp(v, "tfrmm");
		} else if (strcmp(a, "--smc-image") == 0) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage_error("%s needs a file", a);
			runner_image_path = argv[++i];
		} else if (strcmp(a, "--rec-aux") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : "";
			uint64_t n;
			char why[160];

			if (cli_parse_u64("--rec-aux", v, MAX_REC_AUX_GRANULES, &n, why, sizeof(why)))
				return usage_error("%s", why);
			runner_rec_aux = (unsigned)n;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option '%s'", a);
		} else if (file) {
			return usage_error("more than one FILE ('%s')", a);
		} else {
			file = a;
		}
	}
	if (!file)
		return usage_error("%s", "missing FILE");
	if (strcmp(file, "-") == 0)
		return rmi_cmd_run_stream(stdin, "<stdin>", abi, stdout, stderr);
	char why[512];
	in = input_file_open(file, INPUT_CMDS_MAX, NULL, why, sizeof(why));
	if (!in) {
		fprintf(stderr, "rme-bench rmi: %s\n", why);
		return RMI_CMD_BAD_INPUT;
	}
	rc = rmi_cmd_run_stream(in, file, abi, stdout, stderr);
	fclose(in);
	return rc;
}
