/* Host topology and pinning (see include/sys/topology.h). */
#define _GNU_SOURCE /* sched_getcpu */
#include "sys/topology.h"
#include "results/atomic_file.h"

#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sys_topology {
	hwloc_topology_t hw;
};

static void set_msg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *buf, size_t len, const char *fmt, ...)
{
	if (!buf || len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int sys_topology_load(struct sys_topology **out, char *err, size_t err_len)
{
	*out = NULL;
	struct sys_topology *topo = calloc(1, sizeof(*topo));
	if (!topo) {
		set_msg(err, err_len, "topology: out of memory");
		return -1;
	}
	if (hwloc_topology_init(&topo->hw) != 0) {
		set_msg(err, err_len, "topology: hwloc init failed: %s",
			strerror(errno));
		free(topo);
		return -1;
	}
	if (hwloc_topology_load(topo->hw) != 0) {
		set_msg(err, err_len, "topology: hwloc load failed: %s",
			strerror(errno));
		hwloc_topology_destroy(topo->hw);
		free(topo);
		return -1;
	}
	*out = topo;
	return 0;
}

void sys_topology_free(struct sys_topology *topo)
{
	if (!topo)
		return;
	hwloc_topology_destroy(topo->hw);
	free(topo);
}

static unsigned count_of(const struct sys_topology *topo, hwloc_obj_type_t t)
{
	int n = hwloc_get_nbobjs_by_type(topo->hw, t);
	return n > 0 ? (unsigned)n : 0;
}

void sys_topology_counts(const struct sys_topology *topo,
			 struct sys_topology_counts *out)
{
	out->packages = count_of(topo, HWLOC_OBJ_PACKAGE);
	out->cores = count_of(topo, HWLOC_OBJ_CORE);
	out->pus = count_of(topo, HWLOC_OBJ_PU);
	out->numa_nodes = count_of(topo, HWLOC_OBJ_NUMANODE);
}

void sys_topology_pu_list(const struct sys_topology *topo, char *buf,
			  size_t len)
{
	if (len == 0)
		return;
	hwloc_const_cpuset_t all = hwloc_topology_get_topology_cpuset(topo->hw);
	if (hwloc_bitmap_list_snprintf(buf, len, all) < 0)
		buf[0] = '\0';
}

/*
 * hwloc records the machine's host name (root info "HostName"); results
 * directories never carry it (trace/results.h, privacy), so that one line
 * is dropped from hwloc's XML before it is written.
 */
static size_t drop_host_name(char *xml, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(xml + i, '\n', len - i);
		size_t line = nl ? (size_t)(nl - (xml + i)) + 1 : len - i;
		if (!memmem(xml + i, line, "name=\"HostName\"", 15)) {
			memmove(xml + out, xml + i, line);
			out += line;
		}
		i += line;
	}
	return out;
}

int sys_topology_export_xml(const struct sys_topology *topo, const char *path,
			    char *err, size_t err_len)
{
	char *xml = NULL, *tmp = NULL;
	int xml_len = 0;

	if (!path || !*path) {
		set_msg(err, err_len, "topology XML: empty file name");
		return -1;
	}
	if (hwloc_topology_export_xmlbuffer(topo->hw, &xml, &xml_len, 0) != 0 || xml_len <= 0) {
		set_msg(err, err_len, "topology XML: hwloc export failed");
		return -1;
	}
	/* hwloc counts the terminating NUL in xml_len. */
	size_t len = drop_host_name(xml, strnlen(xml, (size_t)xml_len));
	int rc = -1;
	FILE *f = atomic_file_open(path, &tmp, err, err_len);
	if (f && fwrite(xml, 1, len, f) != len) {
		set_msg(err, err_len, "topology XML: cannot write %s: %s", path, strerror(errno));
		atomic_file_abort(f, tmp);
	} else if (f) {
		rc = atomic_file_commit(f, tmp, path, err, err_len);
	}
	hwloc_free_xmlbuffer(topo->hw, xml);
	return rc;
}

/* ---- CPU lists ---------------------------------------------------- */

/* Parse a decimal CPU index at *p, advancing it. -1 if none or too big. */
static long parse_index(const char **p)
{
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return -1;
	long v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > SYS_CPU_INDEX_MAX)
			return -2;
		s++;
	}
	*p = s;
	return v;
}

static int add_cpu(struct sys_cpulist *out, unsigned char *seen, long cpu,
		   char *err, size_t err_len)
{
	if (seen[cpu]) {
		set_msg(err, err_len, "CPU list: CPU %ld listed twice", cpu);
		return -1;
	}
	if (out->count == SYS_CPULIST_MAX) {
		set_msg(err, err_len, "CPU list: more than %d CPUs",
			SYS_CPULIST_MAX);
		return -1;
	}
	seen[cpu] = 1;
	out->cpu[out->count++] = (unsigned)cpu;
	return 0;
}

static int index_error(long v, const char *at, char *err, size_t err_len)
{
	if (v == -2)
		set_msg(err, err_len, "CPU list: index above %d at \"%s\"",
			SYS_CPU_INDEX_MAX, at);
	else
		set_msg(err, err_len,
			"CPU list: expected a CPU number at \"%s\"", at);
	return -1;
}

int sys_cpulist_parse(const char *text, struct sys_cpulist *out, char *err,
		      size_t err_len)
{
	out->count = 0;
	if (!text || !*text) {
		set_msg(err, err_len, "CPU list: empty");
		return -1;
	}
	unsigned char *seen = calloc(SYS_CPU_INDEX_MAX + 1, 1);
	if (!seen) {
		set_msg(err, err_len, "CPU list: out of memory");
		return -1;
	}
	int rc = 0;
	const char *p = text;
	while (rc == 0) {
		const char *elem = p;
		long lo = parse_index(&p), hi;
		if (lo < 0) {
			rc = index_error(lo, elem, err, err_len);
			break;
		}
		hi = lo;
		if (*p == '-') {
			const char *at = ++p;
			hi = parse_index(&p);
			if (hi < 0) {
				rc = index_error(hi, at, err, err_len);
				break;
			}
			if (hi < lo) {
				set_msg(err, err_len,
					"CPU list: reversed range %ld-%ld", lo,
					hi);
				rc = -1;
				break;
			}
		}
		for (long c = lo; c <= hi && rc == 0; c++)
			rc = add_cpu(out, seen, c, err, err_len);
		if (rc != 0 || *p == '\0')
			break;
		if (*p != ',') {
			set_msg(err, err_len,
				"CPU list: unexpected '%c' at \"%s\"", *p, p);
			rc = -1;
			break;
		}
		p++; /* a trailing comma fails as an empty element */
	}
	free(seen);
	if (rc != 0)
		out->count = 0;
	return rc;
}

/* ---- pin plans ---------------------------------------------------- */

static struct sys_pin_plan *plan_alloc(unsigned threads)
{
	struct sys_pin_plan *plan =
		calloc(1, sizeof(*plan) + threads * sizeof(plan->pin[0]));
	if (!plan)
		return NULL;
	plan->threads = threads;
	for (unsigned i = 0; i < threads; i++) {
		if (i == 0)
			snprintf(plan->pin[i].thread, SYS_THREAD_NAME_LEN, "main");
		else
			snprintf(plan->pin[i].thread, SYS_THREAD_NAME_LEN,
				 "vcpu%u", i - 1);
		plan->pin[i].pu = -1;
	}
	return plan;
}

static bool pu_exists(const struct sys_topology *topo, unsigned os_index)
{
	return hwloc_get_pu_obj_by_os_index(topo->hw, os_index) != NULL;
}

static int plan_from_user(const struct sys_topology *topo,
			  struct sys_pin_plan *plan,
			  const struct sys_cpulist *user, char *err,
			  size_t err_len)
{
	for (unsigned i = 0; i < user->count; i++) {
		if (!pu_exists(topo, user->cpu[i])) {
			char avail[128];
			sys_topology_pu_list(topo, avail, sizeof(avail));
			set_msg(err, err_len,
				"--pin: CPU %u does not exist or is not usable "
				"by this process (usable: %s)",
				user->cpu[i], avail);
			return -1;
		}
	}
	if (user->count < plan->threads) {
		set_msg(err, err_len,
			"--pin: %u CPUs listed but %u threads (main + %u vCPUs) "
			"need one each",
			user->count, plan->threads, plan->threads - 1);
		return -1;
	}
	for (unsigned i = 0; i < plan->threads; i++)
		plan->pin[i].pu = (int)user->cpu[i];
	plan->pinned = true;
	plan->from_user = true;
	if (user->count > plan->threads)
		snprintf(plan->note, sizeof(plan->note),
			 "--pin lists %u CPUs; the last %u are unused",
			 user->count, user->count - plan->threads);
	return 0;
}

static void plan_default(const struct sys_topology *topo,
			 struct sys_pin_plan *plan)
{
	unsigned cores = count_of(topo, HWLOC_OBJ_CORE);
	if (cores < plan->threads) {
		snprintf(plan->note, sizeof(plan->note),
			 "not pinned: %u threads (main + %u vCPUs) but only %u "
			 "usable cores; use --pin to pin anyway",
			 plan->threads, plan->threads - 1, cores);
		return;
	}
	for (unsigned i = 0; i < plan->threads; i++) {
		hwloc_obj_t core =
			hwloc_get_obj_by_type(topo->hw, HWLOC_OBJ_CORE, i);
		int pu = core ? hwloc_bitmap_first(core->cpuset) : -1;
		if (pu < 0) {
			/* hwloc returned a core without PUs: leave all unpinned. */
			for (unsigned j = 0; j < plan->threads; j++)
				plan->pin[j].pu = -1;
			snprintf(plan->note, sizeof(plan->note),
				 "not pinned: core %u has no usable PU", i);
			return;
		}
		plan->pin[i].pu = pu;
	}
	plan->pinned = true;
}

struct sys_pin_plan *sys_pin_plan_compute(const struct sys_topology *topo,
					  unsigned vcpus,
					  const struct sys_cpulist *user,
					  char *err, size_t err_len)
{
	if (vcpus >= SYS_CPULIST_MAX) {
		set_msg(err, err_len, "pin plan: %u vCPUs is too many (max %d)",
			vcpus, SYS_CPULIST_MAX - 1);
		return NULL;
	}
	struct sys_pin_plan *plan = plan_alloc(vcpus + 1);
	if (!plan) {
		set_msg(err, err_len, "pin plan: out of memory");
		return NULL;
	}
	if (user) {
		if (plan_from_user(topo, plan, user, err, err_len) != 0) {
			free(plan);
			return NULL;
		}
	} else {
		plan_default(topo, plan);
	}
	return plan;
}

static void write_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int sys_pin_plan_write_json(const struct sys_pin_plan *plan, FILE *out)
{
	fprintf(out, "{\"pinned\": %s, \"source\": \"%s\", \"note\": ",
		plan->pinned ? "true" : "false",
		plan->from_user ? "user" : "default");
	write_json_string(out, plan->note);
	fputs(", \"threads\": {", out);
	for (unsigned i = 0; i < plan->threads; i++) {
		fprintf(out, "%s\"%s\": ", i ? ", " : "", plan->pin[i].thread);
		if (plan->pin[i].pu < 0)
			fputs("null", out);
		else
			fprintf(out, "%d", plan->pin[i].pu);
	}
	fputs("}}", out);
	return ferror(out) ? -1 : 0;
}

int sys_pin_bind_self(const struct sys_topology *topo, int pu, char *note,
		      size_t note_len)
{
	set_msg(note, note_len, "%s", "");
	if (pu < 0)
		return 0;
	hwloc_obj_t obj = hwloc_get_pu_obj_by_os_index(topo->hw, (unsigned)pu);
	if (!obj) {
		set_msg(note, note_len, "cpubind: PU %d does not exist", pu);
		return -1;
	}
	const struct hwloc_topology_support *sup =
		hwloc_topology_get_support(topo->hw);
	if (!sup->cpubind->set_thisthread_cpubind) {
		set_msg(note, note_len,
			"cpubind not supported: hwloc cannot bind threads on "
			"this system; running unpinned");
		return 1;
	}
	if (hwloc_set_cpubind(topo->hw, obj->cpuset, HWLOC_CPUBIND_THREAD) != 0) {
		int e = errno;
		set_msg(note, note_len, "%s: PU %d: %s; running unpinned",
			e == ENOSYS || e == EXDEV ? "cpubind not supported"
						  : "cpubind failed",
			pu, strerror(e));
		return 1;
	}
	return 0;
}

int sys_current_pu(void)
{
	int cpu = sched_getcpu();
	return cpu >= 0 ? cpu : -1;
}
