/* Strict recursive-descent JSON reader with positioned errors. */
#include "results/json.h"
#include "results/input_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *start, *p, *end;
	int depth;
	bool failed;
	struct json_error *err;
};

/* Record the first error only, with the line/column of POS. */
__attribute__((format(printf, 3, 4)))
static void fail_at(struct parser *ps, const char *pos, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = true;
	if (!ps->err)
		return;
	int line = 1, column = 1;
	for (const char *c = ps->start; c < pos; c++) {
		if (*c == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	ps->err->line = line;
	ps->err->column = column;
	ps->err->offset = (size_t)(pos - ps->start);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err->message, sizeof(ps->err->message), fmt, ap);
	va_end(ap);
}

static void fail_unexpected(struct parser *ps, const char *what)
{
	if (ps->p >= ps->end)
		fail_at(ps, ps->p, "unexpected end of input (truncated?), expected %s", what);
	else if ((unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x7f)
		fail_at(ps, ps->p, "unexpected '%c', expected %s", *ps->p, what);
	else
		fail_at(ps, ps->p, "unexpected byte 0x%02x, expected %s",
			(unsigned char)*ps->p, what);
}

static void skip_whitespace(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool parse_value(struct parser *ps, struct json_value *out);

static void free_contents(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		free(v->string.chars);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->array.count; i++)
			free_contents(&v->array.items[i]);
		free(v->array.items);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->object.count; i++) {
			free(v->object.members[i].key);
			free_contents(&v->object.members[i].value);
		}
		free(v->object.members);
		break;
	default:
		break;
	}
}

void json_value_free(struct json_value *v)
{
	if (!v)
		return;
	free_contents(v);
	free(v);
}

static bool parse_literal(struct parser *ps, const char *word, struct json_value *out,
			  enum json_type type, bool boolean)
{
	size_t len = strlen(word);
	for (size_t i = 0; i < len; i++) {
		if (ps->p + i >= ps->end) {
			ps->p += i;
			fail_unexpected(ps, word);
			return false;
		}
		if (ps->p[i] != word[i]) {
			fail_at(ps, ps->p, "invalid literal, expected %s", word);
			return false;
		}
	}
	ps->p += len;
	out->type = type;
	out->boolean = boolean;
	return true;
}

static bool is_digit(const struct parser *ps, const char *q)
{
	return q < ps->end && *q >= '0' && *q <= '9';
}

static bool parse_number(struct parser *ps, struct json_value *out)
{
	const char *begin = ps->p, *q = ps->p;
	bool negative = false, integer = true;
	if (q < ps->end && *q == '-') {
		negative = true;
		q++;
	}
	if (!is_digit(ps, q)) {
		ps->p = q;
		fail_unexpected(ps, "a digit");
		return false;
	}
	if (*q == '0' && is_digit(ps, q + 1)) {
		fail_at(ps, q, "leading zeros are not allowed in numbers");
		return false;
	}
	uint64_t magnitude = 0;
	bool overflow = false;
	while (is_digit(ps, q)) {
		unsigned digit = (unsigned)(*q - '0');
		if (magnitude > (UINT64_MAX - digit) / 10)
			overflow = true;
		else
			magnitude = magnitude * 10 + digit;
		q++;
	}
	if (q < ps->end && *q == '.') {
		integer = false;
		q++;
		if (!is_digit(ps, q)) {
			ps->p = q;
			fail_unexpected(ps, "a digit after '.'");
			return false;
		}
		while (is_digit(ps, q))
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		integer = false;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (!is_digit(ps, q)) {
			ps->p = q;
			fail_unexpected(ps, "a digit in the exponent");
			return false;
		}
		while (is_digit(ps, q))
			q++;
	}
	/* strtod needs a terminated copy: the input need not be. */
	size_t len = (size_t)(q - begin);
	char small[64], *copy = len < sizeof(small) ? small : malloc(len + 1);
	if (!copy) {
		fail_at(ps, begin, "out of memory");
		return false;
	}
	memcpy(copy, begin, len);
	copy[len] = '\0';
	errno = 0;
	double value = strtod(copy, NULL);
	bool range_error = errno == ERANGE && isinf(value);
	if (copy != small)
		free(copy);
	if (range_error || !isfinite(value)) {
		fail_at(ps, begin, "number out of range");
		return false;
	}
	out->type = JSON_NUMBER;
	out->number.value = value;
	out->number.is_integer = integer;
	out->number.negative = negative;
	out->number.fits_u64 = integer && !overflow && (!negative || magnitude == 0);
	out->number.u64 = out->number.fits_u64 ? magnitude : 0;
	ps->p = q;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits after "\u"; -1 on error (already reported). */
static long parse_hex4(struct parser *ps, const char *q)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		if (q + i >= ps->end) {
			ps->p = q + i;
			fail_unexpected(ps, "4 hex digits after \\u");
			return -1;
		}
		int h = hex_value(q[i]);
		if (h < 0) {
			fail_at(ps, q + i, "invalid hex digit in \\u escape");
			return -1;
		}
		v = v * 16 + h;
	}
	return v;
}

static size_t encode_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Parse the escape at Q (just after '\\') into BUF; advances *Q. */
static bool parse_escape(struct parser *ps, const char **q, char *buf, size_t *n)
{
	const char *at = *q;
	if (at >= ps->end) {
		ps->p = at;
		fail_unexpected(ps, "an escape character");
		return false;
	}
	const char *simple = "\"\\/bfnrt", *meaning = "\"\\/\b\f\n\r\t";
	const char *hit = *at ? strchr(simple, *at) : NULL;
	if (hit) {
		buf[0] = meaning[hit - simple];
		*n = 1;
		*q = at + 1;
		return true;
	}
	if (*at != 'u') {
		fail_at(ps, at - 1, "invalid escape sequence");
		return false;
	}
	long cp = parse_hex4(ps, at + 1);
	if (cp < 0)
		return false;
	at += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail_at(ps, at - 6, "lone low surrogate in \\u escape");
		return false;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (at + 1 >= ps->end || at[0] != '\\' || at[1] != 'u') {
			fail_at(ps, at - 6, "high surrogate without a following low surrogate");
			return false;
		}
		long low = parse_hex4(ps, at + 2);
		if (low < 0)
			return false;
		if (low < 0xdc00 || low > 0xdfff) {
			fail_at(ps, at, "high surrogate without a following low surrogate");
			return false;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
		at += 6;
	}
	*n = encode_utf8((uint32_t)cp, buf);
	*q = at;
	return true;
}

/* A string at ps->p (which is '"') into a malloc'd buffer. */
static bool parse_string_raw(struct parser *ps, char **chars, size_t *len_out)
{
	const char *q = ps->p + 1;
	size_t cap = 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fail_at(ps, ps->p, "out of memory");
		return false;
	}
	for (;;) {
		if (q >= ps->end) {
			ps->p = q;
			fail_unexpected(ps, "'\"' closing the string");
			goto fail;
		}
		char piece[4];
		size_t n;
		const char *next;
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			q++;
			break;
		}
		if (c < 0x20) {
			fail_at(ps, q, "raw control character 0x%02x in string (must be escaped)", c);
			goto fail;
		}
		if (c == '\\') {
			next = q + 1;
			if (!parse_escape(ps, &next, piece, &n))
				goto fail;
		} else {
			n = json_utf8_sequence_length((const unsigned char *)q,
						      (size_t)(ps->end - q));
			if (n == 0) {
				fail_at(ps, q, "invalid UTF-8 in string");
				goto fail;
			}
			memcpy(piece, q, n);
			next = q + n;
		}
		if (len + n + 1 > cap) {
			cap *= 2;
			char *grown = realloc(buf, cap);
			if (!grown) {
				fail_at(ps, q, "out of memory");
				goto fail;
			}
			buf = grown;
		}
		memcpy(buf + len, piece, n);
		len += n;
		q = next;
	}
	buf[len] = '\0';
	*chars = buf;
	*len_out = len;
	ps->p = q;
	return true;
fail:
	free(buf);
	return false;
}

static bool parse_array(struct parser *ps, struct json_value *out)
{
	out->type = JSON_ARRAY;
	out->array.items = NULL;
	out->array.count = 0;
	size_t cap = 0;
	ps->p++; /* '[' */
	skip_whitespace(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return true;
	}
	for (;;) {
		struct json_value item;
		if (!parse_value(ps, &item))
			return false;
		if (out->array.count == cap) {
			cap = cap ? cap * 2 : 4;
			struct json_value *grown = realloc(out->array.items, cap * sizeof(*grown));
			if (!grown) {
				free_contents(&item);
				fail_at(ps, ps->p, "out of memory");
				return false;
			}
			out->array.items = grown;
		}
		out->array.items[out->array.count++] = item;
		skip_whitespace(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return true;
		}
		fail_unexpected(ps, "',' or ']'");
		return false;
	}
}

static bool has_key(const struct json_value *obj, const char *key, size_t len)
{
	for (size_t i = 0; i < obj->object.count; i++)
		if (obj->object.members[i].key_len == len &&
		    memcmp(obj->object.members[i].key, key, len) == 0)
			return true;
	return false;
}

static bool parse_object(struct parser *ps, struct json_value *out)
{
	out->type = JSON_OBJECT;
	out->object.members = NULL;
	out->object.count = 0;
	size_t cap = 0;
	ps->p++; /* '{' */
	skip_whitespace(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return true;
	}
	for (;;) {
		skip_whitespace(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			fail_unexpected(ps, "a string key");
			return false;
		}
		const char *key_at = ps->p;
		struct json_member m;
		if (!parse_string_raw(ps, &m.key, &m.key_len))
			return false;
		if (has_key(out, m.key, m.key_len)) {
			fail_at(ps, key_at, "duplicate key \"%.64s\"", m.key);
			free(m.key);
			return false;
		}
		skip_whitespace(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(m.key);
			fail_unexpected(ps, "':'");
			return false;
		}
		ps->p++;
		if (!parse_value(ps, &m.value)) {
			free(m.key);
			return false;
		}
		if (out->object.count == cap) {
			cap = cap ? cap * 2 : 4;
			struct json_member *grown = realloc(out->object.members, cap * sizeof(*grown));
			if (!grown) {
				free(m.key);
				free_contents(&m.value);
				fail_at(ps, ps->p, "out of memory");
				return false;
			}
			out->object.members = grown;
		}
		out->object.members[out->object.count++] = m;
		skip_whitespace(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return true;
		}
		fail_unexpected(ps, "',' or '}'");
		return false;
	}
}

/* On failure OUT is left as JSON_NULL with everything it held freed. */
static bool parse_value(struct parser *ps, struct json_value *out)
{
	out->type = JSON_NULL;
	skip_whitespace(ps);
	if (ps->p >= ps->end) {
		fail_unexpected(ps, "a value");
		return false;
	}
	bool ok;
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > JSON_MAX_DEPTH) {
			fail_at(ps, ps->p, "nesting deeper than %d", JSON_MAX_DEPTH);
			return false;
		}
		ok = *ps->p == '{' ? parse_object(ps, out) : parse_array(ps, out);
		ps->depth--;
		if (!ok) {
			free_contents(out);
			out->type = JSON_NULL;
		}
		return ok;
	case '"':
		out->type = JSON_STRING;
		if (!parse_string_raw(ps, &out->string.chars, &out->string.len)) {
			out->type = JSON_NULL;
			return false;
		}
		return true;
	case 't':
		return parse_literal(ps, "true", out, JSON_BOOL, true);
	case 'f':
		return parse_literal(ps, "false", out, JSON_BOOL, false);
	case 'n':
		return parse_literal(ps, "null", out, JSON_NULL, false);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, out);
		fail_unexpected(ps, "a value");
		return false;
	}
}

struct json_value *json_parse(const char *text, size_t len, struct json_error *err)
{
	struct parser ps = { .start = text, .p = text, .end = text + len, .err = err };
	if (err)
		memset(err, 0, sizeof(*err));
	struct json_value *root = malloc(sizeof(*root));
	if (!root) {
		fail_at(&ps, text, "out of memory");
		return NULL;
	}
	if (!parse_value(&ps, root)) {
		free(root);
		return NULL;
	}
	skip_whitespace(&ps);
	if (ps.p != ps.end) {
		fail_at(&ps, ps.p, "unexpected data after the end of the document");
		json_value_free(root);
		return NULL;
	}
	return root;
}

struct json_value *json_parse_file(const char *path, struct json_error *err)
{
	char msg[sizeof(err->message)];
	uint64_t size = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	/* A regular file of bounded size only: a FIFO or /dev/zero in place of a
	 * results file must be refused, not read forever. */
	FILE *f = input_file_open(path, INPUT_JSON_MAX, &size, msg, sizeof(msg));
	if (!f) {
		if (err)
			snprintf(err->message, sizeof(err->message), "%s", msg);
		return NULL;
	}
	char *buf = malloc(size ? size : 1);
	size_t len = buf ? fread(buf, 1, size, f) : 0;
	int read_errno = ferror(f) ? errno : 0;
	fclose(f);
	if (!buf || read_errno || len != size) {
		if (err)
			snprintf(err->message, sizeof(err->message), "cannot read %s: %s", path,
				 !buf ? "out of memory" : read_errno ? strerror(read_errno)
				 : "the file shrank while being read");
		free(buf);
		return NULL;
	}
	struct json_value *v = json_parse(buf, len, err);
	free(buf);
	return v;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = { "null", "boolean", "number",
					     "string", "array", "object" };
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "invalid";
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT || !key)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = 0; i < v->object.count; i++)
		if (v->object.members[i].key_len == len &&
		    memcmp(v->object.members[i].key, key, len) == 0)
			return &v->object.members[i].value;
	return NULL;
}

bool json_as_u64(const struct json_value *v, uint64_t *out)
{
	if (!v || v->type != JSON_NUMBER || !v->number.fits_u64)
		return false;
	*out = v->number.u64;
	return true;
}

bool json_as_double(const struct json_value *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return false;
	*out = v->number.value;
	return true;
}

const char *json_as_string(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string.chars : NULL;
}
