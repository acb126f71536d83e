/*
 * tracefs plan and session: which probe points the kernel has, and the
 * set-up / tear-down of our kprobe group and tracefs instance.
 *
 * Only plain file operations on tracefs: append to kprobe_events (never
 * truncate: O_TRUNC would delete every kprobe on the system), mkdir/rmdir
 * under instances/, and writes to the instance's own control files.
 */
#define _GNU_SOURCE
#include "tracefs/tracefs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- The probe points of each stage ---- */

#define VM_NORMAL (1u << TRACEFS_VM_NORMAL)
#define VM_REALM  (1u << TRACEFS_VM_REALM)
#define VM_BOTH   (VM_NORMAL | VM_REALM)

struct probe_def {
	const char *name;
	const char *symbols; /* candidates, '|' separated, newest kernels first */
	enum stage stage;
	int fault_kind;      /* -1: the call alone does not make a fault */
	unsigned vms;
	unsigned required;   /* VM kinds for which the point must exist */
	const char *args;    /* fetch args (arm64 registers), or NULL */
};

/*
 * Function names follow the upstream arm64 KVM and the CCA host series.
 * user_mem_abort is static and often inlined into kvm_handle_guest_abort:
 * then the page pin is timed by the exported pfn lookup it calls.
 */
static const struct probe_def probe_defs[] = {
	{ "rmeb_abort", "kvm_handle_guest_abort", STAGE_ABORT_DISPATCH, -1, VM_BOTH, VM_BOTH, NULL },
	{ "rmeb_memslot", "gfn_to_memslot", STAGE_MEMSLOT_LOOKUP, -1, VM_BOTH, 0, NULL },
	{ "rmeb_uma", "user_mem_abort", STAGE_PAGE_PIN, -1, VM_BOTH, 0, NULL },
	{ "rmeb_pin", "__kvm_faultin_pfn|__gfn_to_pfn_memslot", STAGE_PAGE_PIN, -1, VM_BOTH, 0,
	  NULL },
	{ "rmeb_s2map", "kvm_pgtable_stage2_map", STAGE_S2_MAP, FAULT_NORMAL, VM_NORMAL, VM_NORMAL,
#if defined(__aarch64__)
	  "addr=%x1:x64 size=%x2:x64"
#else
	  NULL
#endif
	},
	{ "rmeb_s2relax", "kvm_pgtable_stage2_relax_perms", STAGE_S2_MAP, FAULT_PERM, VM_NORMAL, 0,
	  NULL },
	{ "rmeb_rmap", "realm_map_protected", STAGE_DATA_CREATE, FAULT_PROTECTED, VM_REALM, 0, NULL },
	{ "rmeb_rmapns", "realm_map_non_secure", STAGE_UNPROT_MAP, FAULT_UNPROTECTED, VM_REALM, 0,
	  NULL },
	{ "rmeb_rtt", "realm_create_rtt_levels", STAGE_RTT_CREATE, -1, VM_REALM, 0, NULL },
	{ "rmeb_fold", "realm_rtt_fold|fold_rtt|realm_fold_rtt_level", STAGE_RTT_FOLD, -1, VM_REALM, 0, NULL },
	{ "rmeb_ripas", "rec_exit_ripas_change|realm_set_ipa_state|ripas_change", STAGE_SET_RIPAS,
	  FAULT_RIPAS_CHANGE, VM_REALM, 0, NULL },
};

static enum tracefs_status fail(char *err, size_t len, enum tracefs_status s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum tracefs_status fail(char *err, size_t len, enum tracefs_status s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return s;
}

static bool path_exists(const char *root, const char *rel, mode_t type)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/*
 * Find SYM among text symbols of KALLSYMS; a compiler-made clone
 * ("sym.isra.0", "sym.constprop.0") counts, and its full name is what a
 * kprobe must use. OUT gets the name to probe.
 */
static bool kallsyms_find(FILE *f, const char *sym, char *out, size_t out_len)
{
	char line[512];
	size_t n = strlen(sym);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char type, name[256];
		if (sscanf(line, "%*s %c %255s", &type, name) != 2)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (strncmp(name, sym, n) || (name[n] != '\0' && name[n] != '.'))
			continue;
		return (size_t)snprintf(out, out_len, "%s", name) < out_len;
	}
	return false;
}

static bool pick_symbol(FILE *ks, const struct probe_def *d, char *out, size_t len)
{
	char cand[256];
	snprintf(cand, sizeof(cand), "%s", d->symbols);
	for (char *save = NULL, *s = strtok_r(cand, "|", &save); s; s = strtok_r(NULL, "|", &save))
		if (kallsyms_find(ks, s, out, len))
			return true;
	return false;
}

static enum tracefs_status check_tracepoints(const char *root, struct tracefs_plan *plan,
					     char *err, size_t err_len)
{
	if (!path_exists(root, "events/kvm", S_IFDIR))
		return fail(err, err_len, TRACEFS_ENOTRACEPOINT,
			    "tracefs: %s/events/kvm is missing: this kernel has no KVM "
			    "tracepoints (KVM not built or not loaded)", root);
	const char *missing = NULL;
	if (!path_exists(root, "events/kvm/kvm_entry", S_IFDIR))
		missing = "kvm:kvm_entry";
	else if (!path_exists(root, "events/kvm/kvm_exit", S_IFDIR))
		missing = "kvm:kvm_exit";
	if (missing)
		return fail(err, err_len, TRACEFS_ENOTRACEPOINT,
			    "tracefs: tracepoint %s is missing under %s/events", missing, root);
	snprintf(plan->entry_tp, sizeof(plan->entry_tp), "kvm/kvm_entry");
	snprintf(plan->exit_tp, sizeof(plan->exit_tp), "kvm/kvm_exit");
	plan->has_guest_fault_tp = path_exists(root, "events/kvm/kvm_guest_fault", S_IFDIR);
	return TRACEFS_OK;
}

enum tracefs_status tracefs_plan(const char *root, const char *kallsyms, enum tracefs_vm vm,
				 struct tracefs_plan *plan, char *err, size_t err_len)
{
	memset(plan, 0, sizeof(*plan));
	plan->vm = vm;
	if (!path_exists(root, "trace", S_IFREG) && !path_exists(root, "trace", S_IFCHR))
		return fail(err, err_len, TRACEFS_ENOTRACEFS,
			    "tracefs: no tracefs at %s (mount it: mount -t tracefs nodev %s)",
			    root, root);
	if (!path_exists(root, "kprobe_events", S_IFREG))
		return fail(err, err_len, TRACEFS_ENOKPROBES,
			    "tracefs: %s/kprobe_events is missing: kernel built without "
			    "CONFIG_KPROBE_EVENTS", root);
	if (!path_exists(root, "instances", S_IFDIR))
		return fail(err, err_len, TRACEFS_ENOTRACEFS,
			    "tracefs: %s/instances is missing: kernel too old for instances", root);
	enum tracefs_status st = check_tracepoints(root, plan, err, err_len);
	if (st)
		return st;

	FILE *ks = fopen(kallsyms, "r");
	if (!ks)
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot read %s: %s", kallsyms,
			    strerror(errno));
	unsigned bit = 1u << vm;
	bool any_fault_probe = false;
	for (size_t i = 0; i < sizeof(probe_defs) / sizeof(probe_defs[0]); i++) {
		const struct probe_def *d = &probe_defs[i];
		if (!(d->vms & bit))
			continue;
		size_t k = plan->n_probes++;
		struct tracefs_probe_plan *p = &plan->probes[k];
		p->name = d->name;
		p->wanted = d->symbols;
		p->stage = d->stage;
		p->fault_kind = d->fault_kind;
		p->required = d->required & bit;
		if (pick_symbol(ks, d, p->symbol, sizeof(p->symbol)))
			any_fault_probe |= d->fault_kind >= 0;
	}
	fclose(ks);

	for (size_t i = 0; i < plan->n_probes; i++)
		if (plan->probes[i].required && !plan->probes[i].symbol[0])
			return fail(err, err_len, TRACEFS_ENOSYMBOL,
				    "tracefs: kernel function %s (probe %s) is not in %s: "
				    "cannot time %s faults on this kernel",
				    plan->probes[i].wanted, plan->probes[i].name, kallsyms,
				    vm == TRACEFS_VM_REALM ? "realm" : "normal-VM");
	if (!any_fault_probe)
		return fail(err, err_len, TRACEFS_ENOSYMBOL,
			    "tracefs: none of the mapping functions of a %s VM is in %s "
			    "(realm_map_protected / realm_map_non_secure / rec_exit_ripas_change)",
			    vm == TRACEFS_VM_REALM ? "realm" : "normal", kallsyms);
	return TRACEFS_OK;
}

enum tracefs_status tracefs_plan_load_smc_sites(struct tracefs_plan *plan, const char *path,
						char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned no = 0;

	if (!f)
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot read SMC site file %s: %s",
			    path, strerror(errno));
	plan->n_smc_sites = 0;
	while (fgets(line, sizeof(line), f)) {
		no++;
		char *hash = strchr(line, '#'), site[96], fid_text[32] = "", rest[8];
		if (hash)
			*hash = '\0';
		int n = sscanf(line, "%95s %31s %7s", site, fid_text, rest);
		if (n <= 0)
			continue;
		char *plus = strchr(site, '+'), *end = NULL;
		unsigned long long fid = n == 2 ? strtoull(fid_text, &end, 0) : 0;
		if (n > 2 || (n == 2 && (!end || *end || fid < TRACEFS_RMI_FID_BASE)) || !plus ||
		    plus == site || strncmp(plus + 1, "0x", 2) || plus[3] == '\0' ||
		    strspn(plus + 3, "0123456789abcdefABCDEF") != strlen(plus + 3)) {
			fclose(f);
			return fail(err, err_len, TRACEFS_EPARSE,
				    "tracefs: %s:%u: expected SYMBOL+0xOFFSET [FID]", path, no);
		}
		if (plan->n_smc_sites == TRACEFS_MAX_SMC_SITES) {
			fclose(f);
			return fail(err, err_len, TRACEFS_EPARSE,
				    "tracefs: %s: more than %d SMC sites", path, TRACEFS_MAX_SMC_SITES);
		}
		plan->smc_fid[plan->n_smc_sites] = fid;
		snprintf(plan->smc_sites[plan->n_smc_sites++], sizeof(plan->smc_sites[0]), "%s", site);
	}
	fclose(f);
	if (!plan->n_smc_sites)
		return fail(err, err_len, TRACEFS_EPARSE, "tracefs: %s names no SMC site", path);
	return TRACEFS_OK;
}

void tracefs_plan_assume_all(enum tracefs_vm vm, struct tracefs_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->vm = vm;
	snprintf(plan->entry_tp, sizeof(plan->entry_tp), "kvm/kvm_entry");
	snprintf(plan->exit_tp, sizeof(plan->exit_tp), "kvm/kvm_exit");
	plan->has_guest_fault_tp = true;
	for (size_t i = 0; i < sizeof(probe_defs) / sizeof(probe_defs[0]); i++) {
		const struct probe_def *d = &probe_defs[i];
		if (!(d->vms & (1u << vm)))
			continue;
		struct tracefs_probe_plan *p = &plan->probes[plan->n_probes++];
		p->name = d->name;
		p->wanted = d->symbols;
		p->stage = d->stage;
		p->fault_kind = d->fault_kind;
		p->required = d->required & (1u << vm);
		snprintf(p->symbol, sizeof(p->symbol), "%.*s", (int)strcspn(d->symbols, "|"),
			 d->symbols);
	}
}

void tracefs_plan_describe(const struct tracefs_plan *plan, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	off += (size_t)snprintf(buf + off, len - off, "tracepoints: %s %s%s\n", plan->exit_tp,
				plan->entry_tp,
				plan->has_guest_fault_tp ? " kvm/kvm_guest_fault" :
							   " (kvm/kvm_guest_fault MISSING)");
	for (size_t i = 0; i < plan->n_probes && off < len; i++) {
		const struct tracefs_probe_plan *p = &plan->probes[i];
		if (p->symbol[0])
			off += (size_t)snprintf(buf + off, len - off, "%-14s %-16s <- %s\n",
						p->name, stage_name(p->stage), p->symbol);
		else
			off += (size_t)snprintf(buf + off, len - off,
						"%-14s %-16s MISSING (wanted %s)\n", p->name,
						stage_name(p->stage), p->wanted);
	}
}

void tracefs_plan_missing(const struct tracefs_plan *plan, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < plan->n_probes && off < len; i++)
		if (!plan->probes[i].symbol[0])
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						plan->probes[i].wanted);
	if (!plan->has_guest_fault_tp && off < len)
		snprintf(buf + off, len - off, "%skvm:kvm_guest_fault", off ? "," : "");
}

void tracefs_plan_notes(const struct tracefs_plan *plan, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < plan->n_probes && off < len; i++) {
		const struct tracefs_probe_plan *p = &plan->probes[i];
		if (p->symbol[0])
			continue;
		if (!strcmp(p->name, "rmeb_uma"))
			off += (size_t)snprintf(buf + off, len - off,
						"%suser_mem_abort is not probeable (inlined): its own "
						"work (VMA lookup, locks, mapping size) counts in "
						"abort_dispatch and page_pin is the pfn lookup only.",
						off ? " " : "");
		else
			off += (size_t)snprintf(buf + off, len - off,
						"%s%s is not probeable: its time counts in the stage "
						"of the probed function that calls it.",
						off ? " " : "", p->wanted);
	}
}

enum tracefs_status tracefs_find_root(char *out, size_t len, char *err, size_t err_len)
{
	const char *env = getenv("RMEB_TRACEFS");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return TRACEFS_OK;
	}
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	for (size_t i = 0; i < 2; i++) {
		if (path_exists(roots[i], "trace", S_IFREG)) {
			snprintf(out, len, "%s", roots[i]);
			return TRACEFS_OK;
		}
	}
	return fail(err, err_len, TRACEFS_ENOTRACEFS,
		    "tracefs: not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing "
		    "(mount -t tracefs nodev /sys/kernel/tracing, or set RMEB_TRACEFS)");
}

/* ---- Session ---- */

struct tracefs_session {
	char root[256];
	char group[64];    /* kprobe group, also the instance name */
	char inst[320];    /* ROOT/instances/GROUP */
	char clock[32];
	struct tracefs_plan plan;
	bool inst_made;
	bool probe_made[TRACEFS_MAX_PROBES][2]; /* entry, return */
	bool smc_made[TRACEFS_MAX_SMC_SITES];
	uint64_t overruns;
	unsigned resolution_ns; /* of the last collect */
};

static int write_file(const char *path, const char *text, bool append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int saved = errno;
	close(fd);
	errno = saved;
	return w == (ssize_t)n ? 0 : -1;
}

static int inst_write(struct tracefs_session *s, const char *rel, const char *text)
{
	char path[512];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->inst, rel) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return write_file(path, text, false);
}

static int kprobe_write(struct tracefs_session *s, const char *def)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/kprobe_events", s->root);
	return write_file(path, def, true);
}

static enum tracefs_status create_probe(struct tracefs_session *s, size_t i, char *err,
					size_t err_len)
{
	const struct tracefs_probe_plan *p = &s->plan.probes[i];
	const struct probe_def *d = NULL;
	for (size_t k = 0; k < sizeof(probe_defs) / sizeof(probe_defs[0]); k++)
		if (!strcmp(probe_defs[k].name, p->name))
			d = &probe_defs[k];
	char def[512];
	snprintf(def, sizeof(def), "p:%s/%s %s%s%s\n", s->group, p->name, p->symbol,
		 d && d->args ? " " : "", d && d->args ? d->args : "");
	if (kprobe_write(s, def))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: kernel refused kprobe '%.*s': %s",
			    (int)strlen(def) - 1, def, strerror(errno));
	s->probe_made[i][0] = true;
	/* maxactive 32: several vCPU threads may sleep inside (page pin). */
	snprintf(def, sizeof(def), "r32:%s/%s_ret %s\n", s->group, p->name, p->symbol);
	if (kprobe_write(s, def))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: kernel refused kretprobe '%.*s': %s",
			    (int)strlen(def) - 1, def, strerror(errno));
	s->probe_made[i][1] = true;
	return TRACEFS_OK;
}

/* Remove whatever create_probe made for probe I (warnings only). */
static void delete_probe(struct tracefs_session *s, size_t i)
{
	char def[160];
	if (s->probe_made[i][1]) {
		snprintf(def, sizeof(def), "-:%s/%s_ret\n", s->group, s->plan.probes[i].name);
		if (kprobe_write(s, def))
			fprintf(stderr, "tracefs: warning: cannot delete kretprobe %s/%s_ret: %s\n",
				s->group, s->plan.probes[i].name, strerror(errno));
	}
	if (s->probe_made[i][0]) {
		snprintf(def, sizeof(def), "-:%s/%s\n", s->group, s->plan.probes[i].name);
		if (kprobe_write(s, def))
			fprintf(stderr, "tracefs: warning: cannot delete kprobe %s/%s: %s\n",
				s->group, s->plan.probes[i].name, strerror(errno));
	}
	s->probe_made[i][0] = s->probe_made[i][1] = false;
}

/* Enable EVENT (path under events/) in our instance; it must exist there. */
static enum tracefs_status enable_event(struct tracefs_session *s, const char *event, char *err,
					size_t err_len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "events/%s/enable", event);
	if (inst_write(s, rel, "1\n"))
		return fail(err, err_len, TRACEFS_EIO,
			    "tracefs: cannot enable event %s in instance %s: %s", event, s->group,
			    strerror(errno));
	return TRACEFS_OK;
}

/* Prefer a clock that is consistent across CPUs (a vCPU thread migrates). */
static void pick_clock(struct tracefs_session *s)
{
	char path[512], buf[512];
	snprintf(s->clock, sizeof(s->clock), "local");
	snprintf(path, sizeof(path), "%s/trace_clock", s->inst);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	static const char *const wanted[] = { "mono", "global" };
	for (size_t i = 0; i < 2; i++) {
		char *p = strstr(buf, wanted[i]);
		if (p && (p == buf || p[-1] == ' ' || p[-1] == '[') &&
		    (p[strlen(wanted[i])] == ' ' || p[strlen(wanted[i])] == ']' ||
		     p[strlen(wanted[i])] == '\n') &&
		    inst_write(s, "trace_clock", wanted[i]) == 0) {
			snprintf(s->clock, sizeof(s->clock), "%s", wanted[i]);
			return;
		}
	}
}

static enum tracefs_status setup(struct tracefs_session *s, unsigned buffer_kb, char *err,
				 size_t err_len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/events/%s", s->root, s->group);
	if (access(path, F_OK) == 0 || access(s->inst, F_OK) == 0)
		return fail(err, err_len, TRACEFS_EBUSY,
			    "tracefs: %s or instance %s exists already (another rme-bench, or "
			    "a crashed one: echo '-:%s/*' >> %s/kprobe_events; rmdir %s)",
			    path, s->group, s->group, s->root, s->inst);
	bool any_fault_probe = false;
	for (size_t i = 0; i < s->plan.n_probes; i++) {
		struct tracefs_probe_plan *p = &s->plan.probes[i];
		if (!p->symbol[0])
			continue;
		enum tracefs_status st = create_probe(s, i, err, err_len);
		if (st && p->required)
			return st;
		if (st) {
			/* A symbol can exist and still not be probeable (notrace,
			 * kprobe blacklist): an optional point is then missing. */
			fprintf(stderr, "%s; %s counts in its caller's stage\n", err, p->symbol);
			delete_probe(s, i);
			p->symbol[0] = '\0';
			continue;
		}
		any_fault_probe |= p->fault_kind >= 0;
	}
	if (!any_fault_probe)
		return fail(err, err_len, TRACEFS_ENOSYMBOL,
			    "tracefs: the kernel refused every mapping-function probe of this VM kind");
	/* SMC sites: x0 holds the function ID at the probed instruction. A
	 * site the kernel refuses (noinstr, kprobe blacklist) is reported and
	 * dropped: its calls go uncounted, which the results say. */
	size_t refused = 0;
	for (size_t k = 0; k < s->plan.n_smc_sites; k++) {
		char def[256];
		if (s->plan.smc_fid[k])
			snprintf(def, sizeof(def), "p:%s/rmeb_smc%zu %s fid=\\%llu\n", s->group, k,
				 s->plan.smc_sites[k], (unsigned long long)s->plan.smc_fid[k]);
		else
			snprintf(def, sizeof(def), "p:%s/rmeb_smc%zu %s fid=%%x0:x64\n", s->group,
				 k, s->plan.smc_sites[k]);
		if (kprobe_write(s, def)) {
			refused++;
			fprintf(stderr, "tracefs: kernel refused SMC site %s: %s\n",
				s->plan.smc_sites[k], strerror(errno));
			s->plan.smc_sites[k][0] = '\0';
			continue;
		}
		s->smc_made[k] = true;
	}
	if (s->plan.n_smc_sites && refused == s->plan.n_smc_sites)
		return fail(err, err_len, TRACEFS_ENOSYMBOL,
			    "tracefs: the kernel refused every SMC site of the site file");
	if (mkdir(s->inst, 0750))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot create instance %s: %s",
			    s->inst, strerror(errno));
	s->inst_made = true;
	if (inst_write(s, "tracing_on", "0\n"))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot stop tracing in %s: %s",
			    s->inst, strerror(errno));
	char kb[32];
	snprintf(kb, sizeof(kb), "%u\n", buffer_kb ? buffer_kb : 16384);
	if (inst_write(s, "buffer_size_kb", kb))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot size the buffer of %s: %s",
			    s->inst, strerror(errno));
	pick_clock(s);

	enum tracefs_status st;
	if ((st = enable_event(s, s->plan.exit_tp, err, err_len)) ||
	    (st = enable_event(s, s->plan.entry_tp, err, err_len)))
		return st;
	if (s->plan.has_guest_fault_tp &&
	    (st = enable_event(s, "kvm/kvm_guest_fault", err, err_len)))
		return st;
	for (size_t i = 0; i < s->plan.n_probes; i++) {
		char ev[160];
		if (!s->plan.probes[i].symbol[0])
			continue;
		snprintf(ev, sizeof(ev), "%s/%s", s->group, s->plan.probes[i].name);
		if ((st = enable_event(s, ev, err, err_len)))
			return st;
		snprintf(ev, sizeof(ev), "%s/%s_ret", s->group, s->plan.probes[i].name);
		if ((st = enable_event(s, ev, err, err_len)))
			return st;
	}
	for (size_t k = 0; k < s->plan.n_smc_sites; k++) {
		char ev[160];
		if (!s->smc_made[k])
			continue;
		snprintf(ev, sizeof(ev), "%s/rmeb_smc%zu", s->group, k);
		if ((st = enable_event(s, ev, err, err_len)))
			return st;
	}
	return TRACEFS_OK;
}

enum tracefs_status tracefs_session_open(const struct tracefs_session_opts *opts,
					 struct tracefs_session **out, char *err, size_t err_len)
{
	*out = NULL;
	struct tracefs_session *s = calloc(1, sizeof(*s));
	if (!s)
		return fail(err, err_len, TRACEFS_ENOMEM, "tracefs: out of memory");
	enum tracefs_status st = TRACEFS_OK;
	if (opts->root)
		snprintf(s->root, sizeof(s->root), "%s", opts->root);
	else
		st = tracefs_find_root(s->root, sizeof(s->root), err, err_len);
	if (st == TRACEFS_OK)
		st = tracefs_plan(s->root, opts->kallsyms ? opts->kallsyms : "/proc/kallsyms",
				  opts->vm, &s->plan, err, err_len);
	if (st == TRACEFS_OK && opts->smc_sites)
		st = tracefs_plan_load_smc_sites(&s->plan, opts->smc_sites, err, err_len);
	if (st) {
		free(s);
		return st;
	}
	if (opts->tag)
		snprintf(s->group, sizeof(s->group), "rmeb_%s", opts->tag);
	else
		snprintf(s->group, sizeof(s->group), "rmeb_%ld", (long)getpid());
	if ((size_t)snprintf(s->inst, sizeof(s->inst), "%s/instances/%s", s->root, s->group) >=
	    sizeof(s->inst)) {
		fail(err, err_len, TRACEFS_EIO, "tracefs: root path %s is too long", s->root);
		free(s);
		return TRACEFS_EIO;
	}
	st = setup(s, opts->buffer_kb, err, err_len);
	if (st) {
		tracefs_session_close(s);
		return st;
	}
	*out = s;
	return TRACEFS_OK;
}

const struct tracefs_plan *tracefs_session_plan(const struct tracefs_session *s)
{
	return &s->plan;
}

const char *tracefs_session_clock(const struct tracefs_session *s)
{
	return s->clock;
}

enum tracefs_status tracefs_session_follow_pid(struct tracefs_session *s, pid_t pid,
					       char *err, size_t err_len)
{
	char text[32];
	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	if (inst_write(s, "options/event-fork", "1\n") || inst_write(s, "set_event_pid", text))
		return fail(err, err_len, TRACEFS_EIO,
			    "tracefs: cannot restrict instance %s to pid %ld: %s", s->group,
			    (long)pid, strerror(errno));
	return TRACEFS_OK;
}

enum tracefs_status tracefs_session_start(struct tracefs_session *s, char *err, size_t err_len)
{
	if (inst_write(s, "trace", "\n") || inst_write(s, "tracing_on", "1\n"))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot start tracing in %s: %s",
			    s->inst, strerror(errno));
	return TRACEFS_OK;
}

/* Sum "overrun:" and "dropped events:" of every per_cpu/cpuN/stats. */
static uint64_t read_overruns(const struct tracefs_session *s)
{
	char path[600], line[128];
	snprintf(path, sizeof(path), "%s/per_cpu", s->inst);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	uint64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "cpu", 3))
			continue;
		char stats[900];
		snprintf(stats, sizeof(stats), "%s/%s/stats", path, e->d_name);
		FILE *f = fopen(stats, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			if (sscanf(line, "overrun: %llu", &v) == 1 ||
			    sscanf(line, "dropped events: %llu", &v) == 1)
				total += v;
		}
		fclose(f);
	}
	closedir(d);
	return total;
}

enum tracefs_status tracefs_session_stop(struct tracefs_session *s, char *err, size_t err_len)
{
	if (inst_write(s, "tracing_on", "0\n"))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot stop tracing in %s: %s",
			    s->inst, strerror(errno));
	s->overruns = read_overruns(s);
	return TRACEFS_OK;
}

uint64_t tracefs_session_overruns(const struct tracefs_session *s)
{
	return s->overruns;
}

static enum tracefs_status copy_file(const char *src, const char *path, char *err,
				     size_t err_len);

/* The raw read: every "pid cpu ts type: id" line of the instance's trace. */
static struct tracefs_raw_ts *read_raw(struct tracefs_session *s, size_t *n)
{
	char path[512];
	*n = 0;
	if (inst_write(s, "options/raw", "1\n"))
		return NULL;
	snprintf(path, sizeof(path), "%s/trace", s->inst);
	FILE *f = fopen(path, "r");
	struct tracefs_raw_ts *ts = NULL;
	size_t cap = 0;
	char *line = NULL;
	size_t line_cap = 0;
	bool ok = f != NULL;
	while (ok && getline(&line, &line_cap, f) != -1) {
		struct tracefs_raw_ts r;
		if (!tracefs_parse_raw_line(line, &r))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 4096;
			struct tracefs_raw_ts *t = realloc(ts, ncap * sizeof(*t));
			if (!t) {
				ok = false;
				break;
			}
			ts = t;
			cap = ncap;
		}
		ts[(*n)++] = r;
	}
	free(line);
	if (f)
		fclose(f);
	if (inst_write(s, "options/raw", "0\n") || !ok) {
		free(ts);
		*n = 0;
		return NULL;
	}
	return ts;
}

/* Does every event line of the text match its raw entry, one for one? */
static bool raw_matches_text(const char *path, const struct tracefs_raw_ts *ts, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0, i = 0;
	bool ok = true;
	while (ok && getline(&line, &cap, f) != -1) {
		struct tracefs_event ev;
		if (tracefs_parse_line(line, &ev) != TRACEFS_LINE_EVENT)
			continue;
		uint64_t us = ev.ts_ns / 1000;
		ok = i < n && ts[i].pid == ev.pid && ts[i].cpu == ev.cpu &&
		     ts[i].ts_ns / 1000 + 1 >= us && us + 1 >= ts[i].ts_ns / 1000;
		i++;
	}
	free(line);
	fclose(f);
	return ok && i == n;
}

enum tracefs_status tracefs_session_collect(struct tracefs_session *s, struct tracefs_corr *c,
					    char *err, size_t err_len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/trace", s->inst);
	size_t n = 0;
	struct tracefs_raw_ts *ts = read_raw(s, &n);
	s->resolution_ns = 1000;
	if (ts && raw_matches_text(path, ts, n)) {
		tracefs_corr_use_ns(c, ts, n);
		s->resolution_ns = 1;
	}
	enum tracefs_status st = tracefs_corr_feed_file(c, path, err, err_len);
	tracefs_corr_use_ns(c, NULL, 0);
	free(ts);
	return st;
}

unsigned tracefs_session_resolution_ns(const struct tracefs_session *s)
{
	return s->resolution_ns;
}

enum tracefs_status tracefs_session_save(struct tracefs_session *s, const char *path, bool raw,
					 char *err, size_t err_len)
{
	char src[512];
	snprintf(src, sizeof(src), "%s/trace", s->inst);
	if (raw && inst_write(s, "options/raw", "1\n"))
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot set options/raw in %s: %s",
			    s->inst, strerror(errno));
	enum tracefs_status st = copy_file(src, path, err, err_len);
	if (raw && inst_write(s, "options/raw", "0\n") && st == TRACEFS_OK)
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot clear options/raw in %s: %s",
			    s->inst, strerror(errno));
	return st;
}

static enum tracefs_status copy_file(const char *src, const char *path, char *err, size_t err_len)
{
	FILE *in = fopen(src, "r");
	if (!in)
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot open %s: %s", src,
			    strerror(errno));
	FILE *out = fopen(path, "w");
	if (!out) {
		fclose(in);
		return fail(err, err_len, TRACEFS_EIO, "tracefs: cannot create %s: %s", path,
			    strerror(errno));
	}
	char buf[65536];
	size_t n;
	bool ok = true;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok &= fwrite(buf, 1, n, out) == n;
	ok &= !ferror(in);
	fclose(in);
	ok &= fclose(out) == 0;
	if (!ok)
		return fail(err, err_len, TRACEFS_EIO, "tracefs: copying %s to %s failed", src,
			    path);
	return TRACEFS_OK;
}

void tracefs_session_close(struct tracefs_session *s)
{
	if (!s)
		return;
	if (s->inst_made) {
		/* Events must be off before the instance and probes can go. */
		(void)inst_write(s, "tracing_on", "0\n");
		(void)inst_write(s, "events/enable", "0\n");
		if (rmdir(s->inst) && errno != ENOENT)
			fprintf(stderr, "tracefs: warning: cannot remove instance %s: %s\n",
				s->inst, strerror(errno));
	}
	for (size_t i = 0; i < s->plan.n_probes; i++)
		delete_probe(s, i);
	for (size_t k = 0; k < s->plan.n_smc_sites; k++) {
		char def[96];
		if (!s->smc_made[k])
			continue;
		snprintf(def, sizeof(def), "-:%s/rmeb_smc%zu\n", s->group, k);
		if (kprobe_write(s, def))
			fprintf(stderr, "tracefs: warning: cannot delete kprobe %s/rmeb_smc%zu: %s\n",
				s->group, k, strerror(errno));
	}
	free(s);
}
