/* JSON writer escaping and strictness; reader round trip and errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "results/json.h"

/* Write with FN into memory; returns malloc'd text or NULL if finish failed. */
static char *write_doc(void (*fn)(struct json_writer *), bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;
	json_writer_init(&w, f, pretty);
	fn(&w);
	int rc = json_writer_finish(&w);
	fclose(f);
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char tricky[] = "quote\" back\\ slash/ nl\n tab\t cr\r bell\a \x01 \x1f "
			     "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad \xff \xc3 end";

static void write_sample(struct json_writer *w)
{
	json_begin_object(w);
	json_member_string(w, "tricky", tricky);
	json_member_u64(w, "u64max", UINT64_MAX);
	json_key(w, "i64min");
	json_i64(w, INT64_MIN);
	json_member_double(w, "third", 1.0 / 3.0);
	json_member_double(w, "nan", NAN);
	json_member_double(w, "inf", -INFINITY);
	json_member_double(w, "tiny", 5e-324);
	json_member_bool(w, "yes", true);
	json_key(w, "nothing");
	json_string(w, NULL);
	json_key(w, "list");
	json_begin_array(w);
	json_u64(w, 1);
	json_begin_object(w);
	json_end_object(w);
	json_begin_array(w);
	json_end_array(w);
	json_string(w, "");
	json_end_array(w);
	json_end_object(w);
}

static void test_round_trip(bool pretty)
{
	char *text = write_doc(write_sample, pretty);
	CHECK(text != NULL);
	if (!text)
		return;
	/* Raw control bytes never reach the output. */
	for (const char *c = text; *c; c++)
		CHECK((unsigned char)*c >= 0x20 || *c == '\n');
	struct json_error err;
	struct json_value *doc = json_parse(text, strlen(text), &err);
	CHECK(doc != NULL);
	if (!doc) {
		fprintf(stderr, "parse error %d:%d %s\n%s\n", err.line, err.column, err.message, text);
		free(text);
		return;
	}
	const char *s = json_as_string(json_get(doc, "tricky"));
	/* Expected: valid bytes kept, invalid bytes -> U+FFFD (EF BF BD). */
	const char *expect = "quote\" back\\ slash/ nl\n tab\t cr\r bell\a \x01 \x1f "
			     "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad \xef\xbf\xbd "
			     "\xef\xbf\xbd end";
	CHECK(s && strcmp(s, expect) == 0);
	uint64_t u;
	CHECK(json_as_u64(json_get(doc, "u64max"), &u) && u == UINT64_MAX);
	const struct json_value *i64 = json_get(doc, "i64min");
	CHECK(i64 && i64->type == JSON_NUMBER && i64->number.negative && !i64->number.fits_u64);
	double d;
	CHECK(json_as_double(json_get(doc, "third"), &d) && d == 1.0 / 3.0);
	CHECK(json_as_double(json_get(doc, "tiny"), &d) && d == 5e-324);
	CHECK(json_get(doc, "nan") && json_get(doc, "nan")->type == JSON_NULL);
	CHECK(json_get(doc, "inf") && json_get(doc, "inf")->type == JSON_NULL);
	CHECK(json_get(doc, "nothing") && json_get(doc, "nothing")->type == JSON_NULL);
	CHECK(json_get(doc, "yes") && json_get(doc, "yes")->boolean);
	const struct json_value *list = json_get(doc, "list");
	CHECK(list && list->type == JSON_ARRAY && list->array.count == 4);
	if (list && list->array.count == 4) {
		CHECK(list->array.items[1].type == JSON_OBJECT && list->array.items[1].object.count == 0);
		CHECK(list->array.items[2].type == JSON_ARRAY && list->array.items[2].array.count == 0);
		CHECK(list->array.items[3].type == JSON_STRING && list->array.items[3].string.len == 0);
	}
	CHECK(json_get(doc, "absent") == NULL);
	CHECK(json_get(list, "x") == NULL);
	json_value_free(doc);
	free(text);
}

static void misuse_value_without_key(struct json_writer *w)
{
	json_begin_object(w);
	json_u64(w, 1);
	json_end_object(w);
}
static void misuse_unbalanced(struct json_writer *w)
{
	json_begin_array(w);
	json_end_object(w);
}
static void misuse_unfinished(struct json_writer *w) { json_begin_array(w); }
static void misuse_two_roots(struct json_writer *w)
{
	json_u64(w, 1);
	json_u64(w, 2);
}
static void misuse_key_in_array(struct json_writer *w)
{
	json_begin_array(w);
	json_key(w, "k");
	json_end_array(w);
}
static void misuse_dangling_key(struct json_writer *w)
{
	json_begin_object(w);
	json_key(w, "k");
	json_end_object(w);
}
static void misuse_too_deep(struct json_writer *w)
{
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_begin_array(w);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_end_array(w);
}

static void test_writer_misuse(void)
{
	CHECK(write_doc(misuse_value_without_key, false) == NULL);
	CHECK(write_doc(misuse_unbalanced, false) == NULL);
	CHECK(write_doc(misuse_unfinished, false) == NULL);
	CHECK(write_doc(misuse_two_roots, false) == NULL);
	CHECK(write_doc(misuse_key_in_array, false) == NULL);
	CHECK(write_doc(misuse_dangling_key, false) == NULL);
	CHECK(write_doc(misuse_too_deep, false) == NULL);
}

static void expect_error(const char *text, size_t len, int line, int column, const char *fragment)
{
	struct json_error err;
	struct json_value *doc = json_parse(text, len, &err);
	CHECK(doc == NULL);
	json_value_free(doc);
	if (line) {
		if (err.line != line || err.column != column)
			fprintf(stderr, "for %.40s: got %d:%d (%s)\n", text, err.line, err.column,
				err.message);
		CHECK(err.line == line && err.column == column);
	}
	if (!strstr(err.message, fragment))
		fprintf(stderr, "for %.40s: message \"%s\" lacks \"%s\"\n", text, err.message, fragment);
	CHECK(strstr(err.message, fragment) != NULL);
}

#define BAD(text, line, column, fragment) expect_error(text, sizeof(text) - 1, line, column, fragment)

static void test_reader_errors(void)
{
	BAD("", 1, 1, "end of input");
	BAD("   \n ", 2, 2, "end of input");
	BAD("{\"a\": 1,\n \"b\": [1, 2", 2, 12, "end of input");
	BAD("{\"a\": \"unterminated", 1, 20, "end of input");
	BAD("{\"a\": 1,}", 1, 9, "string key");
	BAD("[1, 2,]", 1, 7, "a value");
	BAD("[01]", 1, 2, "leading zeros");
	BAD("[1.]", 1, 4, "digit after '.'");
	BAD("[1e]", 1, 4, "exponent");
	BAD("[-]", 1, 3, "digit");
	BAD("[1e999]", 1, 2, "out of range");
	BAD("[+1]", 1, 2, "unexpected '+'");
	BAD("[.5]", 1, 2, "unexpected '.'");
	BAD("[tru]", 1, 2, "invalid literal");
	BAD("[nul", 1, 5, "end of input");
	BAD("{\"a\" 1}", 1, 6, "':'");
	BAD("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key");
	BAD("{\"a\": 1} x", 1, 10, "after the end");
	BAD("[1] [2]", 1, 5, "after the end");
	BAD("[\"tab\there\"]", 1, 6, "control character");
	BAD("[\"bad \\x\"]", 1, 7, "invalid escape");
	BAD("[\"\\u12G4\"]", 1, 7, "hex digit");
	BAD("[\"\\ud800\"]", 1, 3, "surrogate");
	BAD("[\"\\udc00\"]", 1, 3, "lone low surrogate");
	BAD("[\"\\ud800\\u0041\"]", 1, 9, "surrogate");
	BAD("[\"\xff\"]", 1, 3, "invalid UTF-8");
	BAD("[\"\xc0\xaf\"]", 1, 3, "invalid UTF-8"); /* overlong '/' */
	BAD("[\"\xed\xa0\x80\"]", 1, 3, "invalid UTF-8"); /* encoded surrogate */
	BAD("// comment\n{}", 1, 1, "unexpected '/'");
	BAD("{'a': 1}", 1, 2, "string key");
	BAD("[NaN]", 1, 2, "unexpected 'N'");
	BAD("[Infinity]", 1, 2, "unexpected 'I'");
	/* Embedded NUL is not whitespace. */
	expect_error("[1]\0", 4, 1, 4, "after the end");

	/* Nesting limit. */
	char deep[2 * JSON_MAX_DEPTH + 8];
	size_t n = 0;
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	expect_error(deep, n, 1, JSON_MAX_DEPTH + 1, "nesting");

	/* Every strict prefix of a valid document is rejected: truncation. */
	char *text = write_doc(write_sample, true);
	size_t len = text ? strlen(text) : 0;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	for (size_t cut = 0; cut < len; cut++) {
		struct json_error err;
		struct json_value *doc = json_parse(text, cut, &err);
		if (doc)
			fprintf(stderr, "prefix of %zu bytes parsed\n", cut);
		CHECK(doc == NULL);
		json_value_free(doc);
		CHECK(err.message[0] != '\0');
	}
	/* Corrupting single bytes never crashes (and often fails). */
	for (size_t at = 0; at < len; at += 3) {
		char saved = text[at];
		text[at] = (char)(saved ^ 0x5a);
		struct json_error err;
		json_value_free(json_parse(text, len, &err));
		text[at] = saved;
	}
	free(text);
}

static void test_reader_accepts(void)
{
	const char *ok = " {\"a\" : [ -0, 0.5e+3, 1E-2, -12, true, false, null, \"\\u00e9\\ud83d\\ude00\\/\" ] }\r\n";
	struct json_error err;
	struct json_value *doc = json_parse(ok, strlen(ok), &err);
	CHECK(doc != NULL);
	if (!doc)
		return;
	const struct json_value *a = json_get(doc, "a");
	CHECK(a && a->array.count == 8);
	if (a && a->array.count == 8) {
		uint64_t u;
		CHECK(json_as_u64(&a->array.items[0], &u) && u == 0);
		CHECK(a->array.items[1].number.value == 500.0 && !a->array.items[1].number.is_integer);
		CHECK(a->array.items[2].number.value == 0.01);
		CHECK(!json_as_u64(&a->array.items[3], &u) && a->array.items[3].number.value == -12);
		CHECK(strcmp(json_as_string(&a->array.items[7]), "\xc3\xa9\xf0\x9f\x98\x80/") == 0);
	}
	json_value_free(doc);

	/* A u64 too large for uint64 is still a number, but not a u64. */
	doc = json_parse("18446744073709551616", 20, &err);
	uint64_t u;
	CHECK(doc && !json_as_u64(doc, &u));
	json_value_free(doc);

	CHECK(json_parse_file("/nonexistent-dir/x.json", &err) == NULL);
	CHECK(strstr(err.message, "cannot open") != NULL);
}

int main(void)
{
	test_round_trip(false);
	test_round_trip(true);
	test_writer_misuse();
	test_reader_errors();
	test_reader_accepts();
	return check_report("json");
}
