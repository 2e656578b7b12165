/* fuzz_json.c - libFuzzer target: JSON/DDM ingest without the database.
 *
 * The bytes are read by jsonin_read twice: from an fmemopen'd FILE (no
 * file descriptor, so the streaming NDJSON path) and from a temporary
 * regular file (the whole-file path).  Every document handed on must pass
 * jsonin_check again as exactly one value, lie inside the input and start
 * on a sane line; every rejection must say why.  A document that looks
 * like a NanoMDM webhook event goes through what
 * src/sources/nanomdm_webhook.c does with it:
 * checkin_event.raw_payload Base64-decoded, the check-in plist's Endpoint,
 * UDID, EnrollmentID and Data read, Data Base64-decoded and checked as
 * JSON.  The raw bytes also go straight to b64_decode and plist_value so
 * the fuzzer reaches them without having to build valid Base64.
 *
 * The sources themselves are not driven: they need a store with the schema, a
 * file row and the formats map, and its SQL work would dominate the run. */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "jsonin.h"
#include "plist.h"

typedef struct input {
	const char *data;
	size_t size;
	long docs, bad;
} input;

/* b64_decode with the bounds every caller relies on. */
static bool decode(const char *s, size_t len, buf *out)
{
	size_t sig = 0;

	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n=", s[i]) || !s[i])
			sig++;
	buf_reset(out);
	if (!b64_decode(s, len, out))
		return false;
	assert(out->data && out->data[out->len] == '\0');
	assert(out->len <= sig * 3 / 4);
	return true;
}

/* plist_value with its result checked against the input. */
static bool value(const char *xml, size_t len, const char *key, const char **v,
		  size_t *vlen, char *tag, size_t tcap)
{
	if (!plist_value(xml, len, key, v, vlen, tag, tcap))
		return false;
	assert(*v >= xml && *vlen <= len && *v + *vlen <= xml + len);
	assert(strlen(tag) < tcap);
	return true;
}

/* What nanomdm_webhook.c does with a decoded check-in plist. */
static void checkin(const char *xml, size_t len)
{
	static const char *const keys[] = {"Endpoint", "UDID", "EnrollmentID",
					   "MessageType"};
	const char *v;
	size_t vlen, nv;
	char tag[32], why[200];
	buf json = {0};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		value(xml, len, keys[i], &v, &vlen, tag, sizeof tag);
	value(xml, len, "Endpoint", &v, &vlen, tag, 4); /* a short tag buffer */
	if (value(xml, len, "Data", &v, &vlen, tag, sizeof tag) &&
	    decode(v, vlen, &json)) {
		if (!jsonin_check(json.data, json.len, &nv, why, sizeof why))
			assert(*why);
		else
			assert(nv >= 1);
	}
	buf_free(&json);
}

/* The raw_payload string of a NanoMDM event, found the simple way. */
static void nanomdm(const char *s, size_t len)
{
	static const char key[] = "\"raw_payload\"";
	const char *end = s + len, *p = memmem(s, len, key, sizeof key - 1);
	const char *q;
	buf plist = {0};

	if (!p)
		return;
	p += sizeof key - 1;
	while (p < end && strchr(" \t\r\n:", *p) && *p)
		p++;
	if (p >= end || *p != '"')
		return;
	p++;
	q = memchr(p, '"', (size_t)(end - p));
	if (!q)
		return;
	if (decode(p, (size_t)(q - p), &plist))
		checkin(plist.data, plist.len);
	buf_free(&plist);
}

static ddm_err on_doc(void *ctx, const char *text, size_t len, long line,
		      long long offset)
{
	input *in = ctx;
	size_t nv = 0;
	char why[200];

	in->docs++;
	assert(line >= 1 && offset >= 0);
	assert(len > 0 && len <= JSONIN_DOC_CAP);
	assert((size_t)offset + len <= in->size);
	assert(memcmp(text, in->data + offset, len) == 0);
	assert(jsonin_check(text, len, &nv, why, sizeof why) && nv == 1);
	if (memmem(text, len, "checkin_event", 13))
		nanomdm(text, len);
	return DDM_OK;
}

static ddm_err on_bad(void *ctx, long line, long long offset,
		      const char *reason)
{
	input *in = ctx;

	in->bad++;
	assert(line >= 1 && offset >= 0 && (size_t)offset <= in->size);
	assert(reason && *reason && strlen(reason) < 200);
	return DDM_OK;
}

static void read_file(FILE *f, input *in)
{
	jsonin_callbacks cb = {on_doc, on_bad, in};
	long long bytes = -1;

	jsonin_sniff(f);
	assert(ftell(f) == 0);
	assert(jsonin_read(f, "fuzz.json", &cb, NULL, &bytes) == DDM_OK);
	assert(bytes == (long long)in->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *tmp;
	input in = {(const char *)data, size, 0, 0};
	long docs;
	FILE *f;
	size_t nv;
	char why[200];

	/* Streaming: fmemopen has no descriptor, so jsonin_read streams. */
	f = fmemopen(size ? (void *)data : (void *)"", size, "rb");
	if (f) {
		read_file(f, &in);
		fclose(f);
	}
	docs = in.docs;

	/* Whole file: a regular temporary file, reused. */
	if (!tmp)
		tmp = tmpfile();
	if (tmp && ftruncate(fileno(tmp), 0) == 0) {
		rewind(tmp);
		if (fwrite(data, 1, size, tmp) == size && fflush(tmp) == 0) {
			rewind(tmp);
			in.docs = in.bad = 0;
			read_file(tmp, &in);
			/* One document whole, or the same lines as streamed. */
			assert(in.docs <= docs || in.docs == 1);
		}
	}

	/* The pieces on their own. */
	if (jsonin_check((const char *)data, size, &nv, why, sizeof why))
		assert(nv >= 1);
	else
		assert(*why);
	checkin((const char *)data, size);
	return 0;
}
