/* Streaming JSON writer: valid output or a reported error, never both. */
#include "results/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_writer_init(struct json_writer *w, FILE *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

static void put(struct json_writer *w, const char *s, size_t len)
{
	if (!w->error && fwrite(s, 1, len, w->out) != len)
		w->error = true;
}

static void puts_raw(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline_indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

/* Everything a value needs before it: a comma, a newline, a key check. */
static bool begin_value(struct json_writer *w)
{
	if (w->error)
		return false;
	if (w->depth == 0) {
		if (w->done) { /* a second top-level value */
			w->error = true;
			return false;
		}
		return true;
	}
	if (w->container[w->depth - 1] == '{') {
		if (!w->have_key) {
			w->error = true;
			return false;
		}
		w->have_key = false;
		return true;
	}
	if (w->nonempty[w->depth - 1])
		put(w, ",", 1);
	w->nonempty[w->depth - 1] = true;
	newline_indent(w);
	return true;
}

static void end_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void begin_container(struct json_writer *w, char open)
{
	if (!begin_value(w))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->error = true;
		return;
	}
	put(w, &open, 1);
	w->container[w->depth] = open;
	w->nonempty[w->depth] = false;
	w->depth++;
}

static void end_container(struct json_writer *w, char open, char close)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->container[w->depth - 1] != open || w->have_key) {
		w->error = true;
		return;
	}
	bool nonempty = w->nonempty[w->depth - 1];
	w->depth--;
	if (nonempty)
		newline_indent(w);
	put(w, &close, 1);
	end_value(w);
}

void json_begin_object(struct json_writer *w) { begin_container(w, '{'); }
void json_end_object(struct json_writer *w) { end_container(w, '{', '}'); }
void json_begin_array(struct json_writer *w) { begin_container(w, '['); }
void json_end_array(struct json_writer *w) { end_container(w, '[', ']'); }

size_t json_utf8_sequence_length(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void write_escaped(struct json_writer *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	put(w, "\"", 1);
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
			i++;
		} else if (c < 0x20) {
			const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r"
					  : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			if (named) {
				puts_raw(w, named);
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				puts_raw(w, esc);
			}
			i++;
		} else {
			size_t seq = json_utf8_sequence_length(p + i, len - i);
			if (seq == 0) {
				puts_raw(w, "\\ufffd");
				i++;
			} else {
				put(w, s + i, seq);
				i += seq;
			}
		}
	}
	put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->container[w->depth - 1] != '{' || w->have_key || !key) {
		w->error = true;
		return;
	}
	if (w->nonempty[w->depth - 1])
		put(w, ",", 1);
	w->nonempty[w->depth - 1] = true;
	newline_indent(w);
	write_escaped(w, key, strlen(key));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->have_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t len)
{
	if (!begin_value(w))
		return;
	write_escaped(w, s, len);
	end_value(w);
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s)
		json_null(w);
	else
		json_string_n(w, s, strlen(s));
}

static void write_literal(struct json_writer *w, const char *text)
{
	if (!begin_value(w))
		return;
	puts_raw(w, text);
	end_value(w);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	write_literal(w, buf);
}

void json_i64(struct json_writer *w, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	write_literal(w, buf);
}

/* Shortest %.*g text that reads back as the same double. */
void json_double(struct json_writer *w, double v)
{
	if (!isfinite(v)) {
		write_literal(w, "null");
		return;
	}
	char buf[40];
	/* Whole numbers as plain digits (100000, not 1e+05): easier to read. */
	if (v == trunc(v) && fabs(v) < 1e15) {
		snprintf(buf, sizeof(buf), "%.0f", v);
		write_literal(w, buf);
		return;
	}
	for (int precision = 1; precision <= 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*g", precision, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	write_literal(w, buf);
}

void json_bool(struct json_writer *w, bool v) { write_literal(w, v ? "true" : "false"); }
void json_null(struct json_writer *w) { write_literal(w, "null"); }

void json_member_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_member_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_member_double(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void json_member_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_write_value(struct json_writer *w, const struct json_value *v)
{
	switch (v->type) {
	case JSON_NULL:
		json_null(w);
		break;
	case JSON_BOOL:
		json_bool(w, v->boolean);
		break;
	case JSON_NUMBER:
		if (v->number.fits_u64)
			json_u64(w, v->number.u64);
		else
			json_double(w, v->number.value);
		break;
	case JSON_STRING:
		json_string_n(w, v->string.chars, v->string.len);
		break;
	case JSON_ARRAY:
		json_begin_array(w);
		for (size_t i = 0; i < v->array.count; i++)
			json_write_value(w, &v->array.items[i]);
		json_end_array(w);
		break;
	case JSON_OBJECT:
		json_begin_object(w);
		for (size_t i = 0; i < v->object.count; i++) {
			json_key(w, v->object.members[i].key);
			json_write_value(w, &v->object.members[i].value);
		}
		json_end_object(w);
		break;
	default:
		w->error = true;
	}
}

int json_writer_finish(struct json_writer *w)
{
	if (w->pretty && w->done && !w->error)
		put(w, "\n", 1);
	if (w->error || !w->done || w->depth != 0 || ferror(w->out))
		return -1;
	return 0;
}
