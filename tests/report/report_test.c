#define _GNU_SOURCE
#include "report_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int report_test_failures;

static bool env_named(const char *entry, const char *name)
{
	size_t n = strlen(name);
	const char *eq = strchr(name, '=');
	if (eq)
		n = (size_t)(eq - name);
	return !strncmp(entry, name, n) && entry[n] == '=';
}

int rt_run(char *const argv[], const char *out_file, const char *err_file,
	   const char *const *env_set, const char *const *env_unset)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	for (size_t i = 0; env_set && env_set[i]; i++)
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	if (!env)
		return -1;
	for (size_t i = 0; environ[i]; i++) {
		bool drop = false;
		for (size_t j = 0; env_unset && env_unset[j] && !drop; j++)
			drop = env_named(environ[i], env_unset[j]);
		for (size_t j = 0; env_set && env_set[j] && !drop; j++)
			drop = env_named(environ[i], env_set[j]);
		if (!drop)
			env[k++] = environ[i];
	}
	for (size_t i = 0; env_set && env_set[i]; i++)
		env[k++] = (char *)env_set[i];

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_file ? out_file : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err_file ? err_file : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (rc) {
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "%s %s died by signal %d\n", argv[0], argv[1] ? argv[1] : "",
			WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

char *rt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *bigger = realloc(buf, 2 * cap + 1);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

int rt_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t put = fwrite(data, 1, len, f);
	return fclose(f) == 0 && put == len ? 0 : -1;
}

bool rt_file_contains(const char *path, const char *needle)
{
	char *s = rt_read_file(path, NULL);
	bool found = s && strstr(s, needle);
	if (!found)
		fprintf(stderr, "%s does not contain \"%s\"; it has: %s\n", path, needle,
			s ? s : "(unreadable)");
	free(s);
	return found;
}

bool rt_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int rt_copy_results(const char *from, const char *to)
{
	const char *files[] = { "meta.json", "summary.json", "faults.csv" };
	if (mkdir(to, 0755) != 0 && errno != EEXIST)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		char src[4096], dst[4096];
		size_t len;
		snprintf(src, sizeof(src), "%s/%s", from, files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", to, files[i]);
		char *data = rt_read_file(src, &len);
		if (!data || rt_write_file(dst, data, len)) {
			free(data);
			return -1;
		}
		free(data);
	}
	return 0;
}

int rt_count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		if (l >= s && !strcmp(e->d_name + l - s, suffix))
			n++;
		else if (strstr(e->d_name, ".tmp-"))
			n++; /* a leftover temporary counts against every check */
	}
	closedir(d);
	return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rt_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool rt_png_ok(const char *path)
{
	size_t len;
	unsigned char *d = (unsigned char *)rt_read_file(path, &len);
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	bool ok = d && len > 64 && !memcmp(d, sig, 8) && !memcmp(d + 12, "IHDR", 4) &&
		  !memcmp(d + len - 8, "IEND", 4);
	if (!ok)
		fprintf(stderr, "%s is not a complete PNG\n", path);
	free(d);
	return ok;
}

/* A small XML well-formedness check, enough for gnuplot's SVG. */
static bool xml_ok(const char *s, const char **why)
{
	const char *stack[256];
	size_t stack_len[256], depth = 0;
	int roots = 0;
	while ((s = strchr(s, '<'))) {
		if (!strncmp(s, "<?", 2) || !strncmp(s, "<!--", 4) || !strncmp(s, "<![CDATA[", 9) ||
		    !strncmp(s, "<!DOCTYPE", 9)) {
			const char *end = !strncmp(s, "<?", 2) ? "?>" : !strncmp(s, "<!--", 4) ? "-->"
					  : s[2] == '[' ? "]]>" : ">";
			const char *e = strstr(s, end);
			if (!e)
				return *why = "unterminated declaration or comment", false;
			s = e + strlen(end);
			continue;
		}
		bool closing = s[1] == '/';
		const char *name = s + 1 + closing;
		size_t nlen = strcspn(name, " \t\r\n/>");
		if (!nlen)
			return *why = "tag without a name", false;
		/* scan to the end of the tag, honouring quoted attribute values */
		const char *p = name + nlen;
		char quote = 0;
		for (; *p && (quote || *p != '>'); p++) {
			if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
			else if (!quote && *p == '<')
				return *why = "'<' inside a tag", false;
		}
		if (!*p)
			return *why = "unterminated tag", false;
		bool self_closing = p[-1] == '/';
		if (closing) {
			if (!depth || stack_len[depth - 1] != nlen ||
			    strncmp(stack[depth - 1], name, nlen))
				return *why = "mismatched closing tag", false;
			depth--;
		} else if (!self_closing) {
			if (depth == 256)
				return *why = "nesting too deep", false;
			if (!depth)
				roots++;
			stack[depth] = name;
			stack_len[depth++] = nlen;
		} else if (!depth) {
			roots++;
		}
		s = p + 1;
	}
	if (depth)
		return *why = "unclosed element", false;
	if (roots != 1)
		return *why = "not exactly one root element", false;
	return true;
}

bool rt_svg_ok(const char *path)
{
	char *s = rt_read_file(path, NULL);
	const char *why = "unreadable";
	bool ok = s && strstr(s, "<svg") && xml_ok(s, &why);
	if (!ok)
		fprintf(stderr, "%s is not well-formed SVG: %s\n", path, s ? why : "unreadable");
	free(s);
	return ok;
}
