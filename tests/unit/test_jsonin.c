/*
 * test_jsonin.c - unit tests for jsonin.c: the document check (nesting at
 * the depth cap, invalid UTF-8 with its byte offset, truncation, stray
 * bytes), whole-file reading (one pretty-printed document, a top-level
 * array as one document, NDJSON with line numbers and offsets, a byte-order
 * mark), streaming (a line over the size cap skipped unbuffered, the same
 * results as a whole read), callbacks stopping the read, and sniffing.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonin.h"
#include "unit.h"
#include "util.h"

/* What the callbacks saw, one line per call: "doc L@O text" or
 * "bad L@O reason". */
typedef struct seen {
	buf log;
	int docs, bad, stop_after;
} seen;

static ddm_err on_doc(void *ctx, const char *text, size_t len, long line,
		      long long offset)
{
	seen *s = ctx;
	char head[64];

	snprintf(head, sizeof head, "doc %ld@%lld ", line, offset);
	buf_puts(&s->log, head);
	buf_append(&s->log, text, len < 200 ? len : 200);
	buf_putc(&s->log, '\n');
	if (++s->docs == s->stop_after)
		return DDM_ERR_DATA;
	return DDM_OK;
}

static ddm_err on_bad(void *ctx, long line, long long offset,
		      const char *reason)
{
	seen *s = ctx;
	char head[64];

	snprintf(head, sizeof head, "bad %ld@%lld ", line, offset);
	buf_puts(&s->log, head);
	buf_puts(&s->log, reason);
	buf_putc(&s->log, '\n');
	s->bad++;
	return DDM_OK;
}

/* A regular temporary file holding s[0..len), at its start. */
static FILE *file_of(const char *s, size_t len)
{
	FILE *f = tmpfile();

	if (f && (fwrite(s, 1, len, f) != len || fflush(f) != 0)) {
		fclose(f);
		return NULL;
	}
	if (f)
		rewind(f);
	return f;
}

/* Reads s[0..len) from a regular file (whole) or from memory (streamed:
 * fmemopen has no descriptor) into s->log; returns jsonin_read's result. */
static ddm_err read_into(seen *sn, const char *s, size_t len, bool streamed,
			 long long *bytes)
{
	jsonin_callbacks cb = {on_doc, on_bad, sn};
	FILE *f = streamed ? fmemopen((void *)s, len, "rb") : file_of(s, len);
	ddm_err err;

	if (!f)
		return DDM_ERR_IO;
	err = jsonin_read(f, "test.json", &cb, NULL, bytes);
	fclose(f);
	return err;
}

/* The callback log of reading s whole, as a C string (static). */
static seen last;

static const char *log_of(const char *s, size_t len, bool streamed)
{
	seen *sn = &last;
	long long bytes = -1;

	buf_free(&sn->log);
	memset(sn, 0, sizeof *sn);
	if (read_into(sn, s, len, streamed, &bytes) != DDM_OK)
		return "(read failed)";
	if (bytes != (long long)len)
		return "(wrong byte count)";
	return buf_cstr(&sn->log);
}

#define WHOLE(lit) log_of((lit), sizeof(lit) - 1, false)
#define STREAM(lit) log_of((lit), sizeof(lit) - 1, true)

/* jsonin_check's reason for s, or "ok N" with the number of values. */
static const char *check(const char *s, size_t len)
{
	static char why[200];
	size_t nv = 0;

	if (jsonin_check(s, len, &nv, why, sizeof why))
		snprintf(why, sizeof why, "ok %zu", nv);
	return why;
}

#define CHECKS(lit) check((lit), sizeof(lit) - 1)

static void test_check(void)
{
	CHECK_STR_EQ(CHECKS("{}"), "ok 1");
	CHECK_STR_EQ(CHECKS(" [1,{\"a\":[]}]\r\n"), "ok 1");
	CHECK_STR_EQ(CHECKS("{} []"), "ok 2");
	CHECK_STR_EQ(CHECKS("{\"a\":\"}]\\\"[{\"}"), "ok 1");
	CHECK_STR_EQ(CHECKS("{\"a\":\"\\\\\"}"), "ok 1");
	CHECK_STR_EQ(CHECKS(""), "empty document");
	CHECK_STR_EQ(CHECKS(" \n"), "empty document");
	CHECK_STR_EQ(CHECKS("{\"a\":1"),
		     "truncated JSON: the value opened at byte 0 is not "
		     "closed (6 bytes read)");
	CHECK_STR_EQ(CHECKS("{} {\"a\":\"b}"),
		     "truncated JSON: the value opened at byte 3 is not "
		     "closed (11 bytes read)");
	CHECK(strncmp(CHECKS("{}x"), "not JSON: unexpected ", 21) == 0);
	CHECK(strstr(CHECKS("{}x"), "at byte 2 (expected an object or an "
				    "array)") != NULL);
	CHECK(strstr(CHECKS("]"), "at byte 0") != NULL);
	CHECK(strstr(CHECKS("\"a\""), "at byte 0") != NULL);
	CHECK(strstr(CHECKS("{}\xc3\xa9"), "not JSON") != NULL);
}

static void test_depth(void)
{
	char s[2 * (JSONIN_MAX_DEPTH + 1) + 1];
	size_t n;

	/* 128 levels are accepted */
	memset(s, '[', JSONIN_MAX_DEPTH);
	memset(s + JSONIN_MAX_DEPTH, ']', JSONIN_MAX_DEPTH);
	CHECK_STR_EQ(check(s, 2 * JSONIN_MAX_DEPTH), "ok 1");
	/* 129 are not: the reason names the byte that went too deep */
	n = JSONIN_MAX_DEPTH + 1;
	memset(s, '{', n);
	memset(s + n, '}', n);
	CHECK_STR_EQ(check(s, 2 * n),
		     "nested deeper than 128 levels at byte 128");
	/* mixed brackets, nesting counted inside a value, not across */
	CHECK_STR_EQ(CHECKS("[{\"a\":[{}]}] [[[]]]"), "ok 2");
	/* brackets inside strings do not count */
	CHECK_STR_EQ(CHECKS("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[\"}"), "ok 1");
}

static void test_utf8(void)
{
	CHECK_STR_EQ(
		CHECKS("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"),
		"ok 1");
	CHECK_STR_EQ(CHECKS("{\"s\":\"\xff\"}"), "invalid UTF-8 at byte 6");
	CHECK_STR_EQ(CHECKS("{\"s\":\"\xc0\x80\"}"), "invalid UTF-8 at byte 6");
	CHECK_STR_EQ(CHECKS("{\"s\":\"\xe0\x80\xaf\"}"),
		     "invalid UTF-8 at byte 6"); /* overlong */
	CHECK_STR_EQ(CHECKS("{\"s\":\"\xed\xa0\x80\"}"),
		     "invalid UTF-8 at byte 6"); /* a surrogate */
	CHECK_STR_EQ(CHECKS("{\"s\":\"\xf4\x90\x80\x80\"}"),
		     "invalid UTF-8 at byte 6"); /* above U+10FFFF */
	CHECK_STR_EQ(CHECKS("{\"s\":\"ab\xe2\x82\"}"),
		     "invalid UTF-8 at byte 8"); /* cut short */
	CHECK_STR_EQ(CHECKS("{\"s\":\"ab\xe2\x82"),
		     "invalid UTF-8 at byte 8"); /* cut at the end */
	CHECK_STR_EQ(CHECKS("{\"s\":\"\\\xc3\xa9\"}"), "ok 1");
}

static void test_whole(void)
{
	/* a pretty-printed document is one document */
	CHECK_STR_EQ(WHOLE("\n{\n  \"a\": 1,\n  \"b\": [2]\n}\n"),
		     "doc 2@0 \n{\n  \"a\": 1,\n  \"b\": [2]\n}\n\n");
	/* a top-level array is one document: ddm.c takes it apart */
	CHECK_STR_EQ(WHOLE("[\n {\"a\": 1},\n {\"b\": 2}\n]"),
		     "doc 1@0 [\n {\"a\": 1},\n {\"b\": 2}\n]\n");
	/* a broken pretty-printed document is one rejection, not one per
	 * line */
	CHECK_STR_EQ(WHOLE("{\n  \"a\": [1,\n  \"b\": 2\n}\n"),
		     "bad 1@0 truncated JSON: the value opened at byte 0 is "
		     "not closed (24 bytes read)\n");
	CHECK_STR_EQ(WHOLE("{} []"), "bad 1@0 2 JSON values in a document "
				     "(expected one, or one per line)\n");
	/* an empty file is one rejection when read whole */
	CHECK_STR_EQ(WHOLE(""), "bad 1@0 empty document\n");
	CHECK_STR_EQ(WHOLE("\n \n"), "");
}

static void test_ndjson(void)
{
	static const char nd[] = "{\"a\":1}\n"
				 "\n"
				 "[1,2]\r\n"
				 "oops\n"
				 "{} {}\n"
				 "{\"s\":\"\xff\"}\n"
				 "  {\"z\":[]}  ";
	static const char want[] =
		"doc 1@0 {\"a\":1}\n"
		"doc 3@9 [1,2]\n"
		"bad 4@16 not JSON: unexpected o at byte 0 (expected an "
		"object or an array) (document at byte 16)\n"
		"bad 5@21 2 JSON values on one line (expected one)\n"
		"bad 6@27 invalid UTF-8 at byte 6 (document at byte 27)\n"
		"doc 7@37   {\"z\":[]}\n";

	CHECK_STR_EQ(WHOLE(nd), want);
	/* streamed, the same lines give the same results */
	CHECK_STR_EQ(STREAM(nd), want);
	/* an NDJSON file of arrays: one document per line */
	CHECK_STR_EQ(WHOLE("[1]\n[{\"a\":[]}]\n"),
		     "doc 1@0 [1]\ndoc 2@4 [{\"a\":[]}]\n");
	/* a truncated last line */
	CHECK_STR_EQ(WHOLE("{}\n{\"a\":"),
		     "doc 1@0 {}\nbad 2@3 truncated JSON: the value opened at "
		     "byte 0 is not closed (5 bytes read) (document at byte "
		     "3)\n");
}

static void test_bom(void)
{
	FILE *f;

	CHECK_STR_EQ(WHOLE("\xef\xbb\xbf{\"a\":1}\n"), "doc 1@3 {\"a\":1}\n\n");
	CHECK_STR_EQ(WHOLE("\xef\xbb\xbf\n\n{\n\"a\":1}"),
		     "doc 3@3 \n\n{\n\"a\":1}\n");
	CHECK_STR_EQ(WHOLE("\xef\xbb\xbf{}\n[]\n"), "doc 1@3 {}\ndoc 2@6 []\n");
	/* streamed too (a file over the size cap, a pipe) */
	CHECK_STR_EQ(STREAM("\xef\xbb\xbf{}\n[]\n"),
		     "doc 1@3 {}\ndoc 2@6 []\n");
	/* only at the start */
	CHECK(strncmp(WHOLE("{}\n\xef\xbb\xbf{}\n"), "doc 1@0 {}\nbad 2@3 ",
		      19) == 0);
	/* sniffing looks past it and leaves the file at its start */
	f = file_of("\xef\xbb\xbf \r\n\t[", 8);
	CHECK(f && jsonin_sniff(f) && ftell(f) == 0);
	if (f)
		fclose(f);
	f = file_of("\xef\xbb\xbfid,serial\n", 13);
	CHECK(f && !jsonin_sniff(f) && ftell(f) == 0);
	if (f)
		fclose(f);
	f = file_of("", 0);
	CHECK(f && !jsonin_sniff(f));
	if (f)
		fclose(f);
}

/* A line over JSONIN_DOC_CAP in a file over the cap: counted, skipped,
 * and the next line still read at the right line number and offset. */
static void test_size_cap(void)
{
	size_t big = (size_t)JSONIN_DOC_CAP + 100, len = big + 20;
	char *s = malloc(len), want[300];
	FILE *f = tmpfile();
	seen sn = {0};
	jsonin_callbacks cb = {on_doc, on_bad, &sn};
	long long bytes = 0;
	sha256_ctx a, b;
	char ha[65], hb[65];

	if (!s || !f) {
		CHECK(!"cannot allocate the big input");
		free(s);
		if (f)
			fclose(f);
		return;
	}
	memcpy(s, "{}\n{\"a\":\"", 9);
	memset(s + 9, 'x', big - 9);
	memcpy(s + big, "\"}\n[1]\n\n", 8);
	len = big + 8;
	CHECK(fwrite(s, 1, len, f) == len && fflush(f) == 0);
	rewind(f);
	sha256_init(&a);
	CHECK_INT_EQ(jsonin_read(f, "big.ndjson", &cb, &a, &bytes), DDM_OK);
	CHECK_INT_EQ(bytes, len);
	snprintf(want, sizeof want,
		 "doc 1@0 {}\n"
		 "bad 2@3 line of %zu bytes is longer than the 16 MiB limit: "
		 "skipped\n"
		 "doc 3@%zu [1]\n",
		 big + 2 - 3, big + 3);
	CHECK_STR_EQ(buf_cstr(&sn.log), want);
	/* every byte went to the digest */
	sha256_init(&b);
	sha256_update(&b, s, len);
	sha256_final_hex(&a, ha);
	sha256_final_hex(&b, hb);
	CHECK_STR_EQ(ha, hb);

	/* the same line last, without a newline */
	buf_free(&sn.log);
	memset(&sn, 0, sizeof sn);
	rewind(f);
	CHECK(ftruncate(fileno(f), (off_t)(big + 2)) == 0);
	CHECK_INT_EQ(jsonin_read(f, "big.ndjson", &cb, NULL, &bytes), DDM_OK);
	snprintf(want, sizeof want,
		 "doc 1@0 {}\n"
		 "bad 2@3 line of %zu bytes is longer than the 16 MiB limit: "
		 "skipped\n",
		 big + 2 - 3);
	CHECK_STR_EQ(buf_cstr(&sn.log), want);
	buf_free(&sn.log);
	fclose(f);
	free(s);
}

static void test_stop(void)
{
	static const char nd[] = "{}\n[]\n{}\n";
	seen sn = {0};
	long long bytes;

	sn.stop_after = 2;
	CHECK_INT_EQ(read_into(&sn, nd, sizeof nd - 1, false, &bytes),
		     DDM_ERR_DATA);
	CHECK_INT_EQ(sn.docs, 2);
	buf_free(&sn.log);
	memset(&sn, 0, sizeof sn);
	sn.stop_after = 1;
	CHECK_INT_EQ(read_into(&sn, nd, sizeof nd - 1, true, &bytes),
		     DDM_ERR_DATA);
	CHECK_INT_EQ(sn.docs, 1);
	buf_free(&sn.log);
}

int main(void)
{
	test_check();
	test_depth();
	test_utf8();
	test_whole();
	test_ndjson();
	test_bom();
	test_size_cap();
	test_stop();
	buf_free(&last.log);
	UNIT_END("jsonin");
}
