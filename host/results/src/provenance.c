/*
 * Provenance: host description and platform detection (see
 * results/provenance.h). The git revision lives in the generated
 * build_rev.c.
 */
#define _GNU_SOURCE
#include "results/provenance.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "results/json.h"

/* Up to LEN-1 bytes of ROOT/REL; NUL-separated lists keep their NULs.
 * The byte count, or -1 if unreadable. */
static long read_rel(const char *root, const char *rel, char *buf, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* One line of ROOT/REL, trailing newline removed ("" if unreadable). */
static void read_line_rel(const char *root, const char *rel, char *buf, size_t len)
{
	if (read_rel(root, rel, buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

struct cpuinfo {
	char model[256];
	int implementer; /* -1 if not an Arm cpuinfo */
	char part[32];
	bool hypervisor;  /* x86 "hypervisor" flag */
};

static void read_cpuinfo(const char *root, struct cpuinfo *ci)
{
	*ci = (struct cpuinfo){ .implementer = -1 };
	char path[512];
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *value = colon + 1;
		value += strspn(value, " \t");
		value[strcspn(value, "\n")] = '\0';
		if (!strncmp(line, "model name", 10) && !ci->model[0])
			snprintf(ci->model, sizeof(ci->model), "%s", value);
		else if (!strncmp(line, "CPU implementer", 15) && ci->implementer < 0)
			ci->implementer = (int)strtol(value, NULL, 0);
		else if (!strncmp(line, "CPU part", 8) && !ci->part[0])
			snprintf(ci->part, sizeof(ci->part), "%s", value);
		else if (!strncmp(line, "flags", 5) && strstr(value, "hypervisor"))
			ci->hypervisor = true;
	}
	fclose(f);
}

/* True if the NUL-separated list BUF (N bytes) has an entry containing S. */
static bool list_has(const char *buf, long n, const char *s)
{
	for (long i = 0; i < n; i += (long)strlen(buf + i) + 1)
		if (strstr(buf + i, s))
			return true;
	return false;
}

static void set(struct results_platform *p, const char *kind, bool emulated)
{
	p->kind = kind;
	p->emulated = emulated;
}

void results_detect_platform(const char *root, struct results_platform *p)
{
	char dt[1024], vendor[128], product[128], midr[64];
	long n_dt = read_rel(root, "/proc/device-tree/compatible", dt, sizeof(dt));
	if (n_dt < 0)
		n_dt = read_rel(root, "/sys/firmware/devicetree/base/compatible", dt, sizeof(dt));
	read_line_rel(root, "/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	read_line_rel(root, "/sys/class/dmi/id/product_name", product, sizeof(product));
	read_line_rel(root, "/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", midr,
		      sizeof(midr));
	struct cpuinfo ci;
	read_cpuinfo(root, &ci);
	int impl = ci.implementer;
	if (impl < 0 && midr[0])
		impl = (int)((strtoull(midr, NULL, 0) >> 24) & 0xff);

	bool qemu_dt = n_dt > 0 && list_has(dt, n_dt, "linux,dummy-virt");
	bool fvp_dt = n_dt > 0 && (list_has(dt, n_dt, "fvp") || list_has(dt, n_dt, "arm,vexpress"));
	bool qemu_dmi = !strncmp(vendor, "QEMU", 4);
	/* QEMU's TCG CPUs ("max", and its x86 "QEMU Virtual CPU") report an
	 * implementer of 0x00 / that model name, which no silicon uses. */
	bool tcg_cpu = impl == 0 || strstr(ci.model, "QEMU Virtual CPU") != NULL;

	if (fvp_dt)
		set(p, "fvp", true);
	else if ((qemu_dt || qemu_dmi) && tcg_cpu)
		set(p, "qemu-tcg", true);
	else if (qemu_dt || (qemu_dmi && (impl > 0 || ci.hypervisor)))
		set(p, "qemu-kvm", false);
	else if (impl == 0)
		set(p, "qemu-tcg", true);
	else if (ci.hypervisor || qemu_dmi)
		set(p, "vm", false);
	else if (impl > 0 || ci.model[0])
		set(p, "hardware", false);
	else
		set(p, "unknown", false);
	for (long i = 0; i + 1 < n_dt; i++) /* the list, printable */
		if (dt[i] == '\0')
			dt[i] = ',';
	snprintf(p->evidence, sizeof(p->evidence),
		 "device tree: %.96s; DMI: %.48s%s%.48s; CPU implementer: %s%#x; x86 hypervisor flag: %s",
		 n_dt > 0 ? dt : "none", vendor[0] ? vendor : "none", product[0] ? " / " : "",
		 product, impl < 0 ? "n/a " : "", impl < 0 ? 0u : (unsigned)impl,
		 ci.hypervisor ? "yes" : "no");
}

const char *results_platform_label(const char *kind)
{
	if (!kind)
		return "platform not recorded";
	if (!strcmp(kind, "qemu-tcg"))
		return "QEMU TCG: emulated CPU, times are not hardware times";
	if (!strcmp(kind, "fvp"))
		return "Arm FVP: modelled CPU, times are not hardware times";
	if (!strcmp(kind, "qemu-kvm"))
		return "QEMU on KVM (virtual machine)";
	if (!strcmp(kind, "vm"))
		return "virtual machine";
	if (!strcmp(kind, "hardware"))
		return "hardware";
	return "platform unknown";
}

void results_write_host(struct json_writer *jw, const char *root)
{
	struct cpuinfo ci;
	read_cpuinfo(root, &ci);
	char cpu[300];
	if (ci.model[0])
		snprintf(cpu, sizeof(cpu), "%s", ci.model);
	else if (ci.implementer >= 0)
		snprintf(cpu, sizeof(cpu), "arm implementer %#04x part %s", (unsigned)ci.implementer,
			 ci.part);
	else
		snprintf(cpu, sizeof(cpu), "unknown");
	struct results_platform plat;
	results_detect_platform(root, &plat);
	struct utsname u;
	bool have_uname = uname(&u) == 0;
	json_begin_object(jw);
	json_member_string(jw, "cpu_model", cpu);
	json_member_u64(jw, "cpus_online", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	json_member_u64(jw, "cpus_configured", (uint64_t)sysconf(_SC_NPROCESSORS_CONF));
	/* utsname.nodename (the host name) is deliberately not written. */
	json_member_string(jw, "kernel_name", have_uname ? u.sysname : NULL);
	json_member_string(jw, "kernel_release", have_uname ? u.release : NULL);
	json_member_string(jw, "kernel_version", have_uname ? u.version : NULL);
	json_member_string(jw, "machine", have_uname ? u.machine : NULL);
	json_key(jw, "platform");
	json_begin_object(jw);
	json_member_string(jw, "kind", plat.kind);
	json_member_bool(jw, "emulated", plat.emulated);
	json_member_string(jw, "evidence", plat.evidence);
	json_end_object(jw);
	json_end_object(jw);
}

char *results_host_json(const char *root)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	struct json_writer jw;
	json_writer_init(&jw, f, false);
	results_write_host(&jw, root);
	int rc = json_writer_finish(&jw);
	if (fclose(f) || rc) {
		free(text);
		return NULL;
	}
	return text;
}

bool results_wall_clock_plausible(const struct timespec *t)
{
	struct tm tm;
	time_t s = t->tv_sec;
	return gmtime_r(&s, &tm) && tm.tm_year + 1900 >= 2020;
}

void results_format_utc(const struct timespec *ts, char *out, size_t len)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	gmtime_r(&t, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03ldZ", base, ts->tv_nsec / 1000000);
}

static uint64_t unix_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

int results_write_host_file(const char *path, const struct timespec *start,
			    const struct timespec *end, char *err, size_t err_len)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	char s[64], e[64];
	results_format_utc(start, s, sizeof(s));
	results_format_utc(end, e, sizeof(e));
	struct json_writer jw;
	json_writer_init(&jw, f, true);
	json_begin_object(&jw);
	json_key(&jw, "host");
	results_write_host(&jw, "");
	json_member_string(&jw, "start_time", s);
	json_member_string(&jw, "end_time", e);
	json_member_u64(&jw, "start_unix_ns", unix_ns(start));
	json_member_u64(&jw, "end_unix_ns", unix_ns(end));
	json_member_bool(&jw, "start_time_plausible", results_wall_clock_plausible(start));
	json_end_object(&jw);
	int rc = json_writer_finish(&jw);
	if (fclose(f) || rc) {
		snprintf(err, err_len, "cannot write %s", path);
		return -1;
	}
	return 0;
}

int results_read_host_file(const char *path, char **host_json, struct timespec *start,
			   char *err, size_t err_len)
{
	struct json_error jerr;
	struct json_value *doc = json_parse_file(path, &jerr);
	const struct json_value *host = doc ? json_get(doc, "host") : NULL;
	uint64_t ns;
	if (!host || host->type != JSON_OBJECT || !json_as_u64(json_get(doc, "start_unix_ns"), &ns)) {
		snprintf(err, err_len, "%s is not a host description (\"host\" object and "
			 "\"start_unix_ns\" expected)", path);
		json_value_free(doc);
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = -1;
	if (f) {
		struct json_writer jw;
		json_writer_init(&jw, f, false);
		json_write_value(&jw, host);
		rc = json_writer_finish(&jw);
		rc |= fclose(f);
	}
	json_value_free(doc);
	if (rc) {
		free(text);
		snprintf(err, err_len, "out of memory reading %s", path);
		return -1;
	}
	*host_json = text;
	start->tv_sec = (time_t)(ns / 1000000000ull);
	start->tv_nsec = (long)(ns % 1000000000ull);
	return 0;
}
