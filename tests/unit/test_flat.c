/*
 * test_flat.c - unit tests for the JSON leaf index (sources/flat.c) and for
 * recognition by the source table (sources/registry.c): lookups inside a
 * view, array elements walked in one pass, a repeated key keeping its last
 * value, every source shape claimed by exactly one source whatever the
 * table's order (Jamf plans and statuses never confused), and Jamf's Java
 * map strings read like their JSON form (sources/javamap.c), and
 * documents read by flat_parse giving exactly json_tree's leaves, whether
 * the C scan takes them or hands them to SQLite.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/flat.h"
#include "sources/javamap.h"
#include "sources/kmfddm_files.h"
#include "sources/source.h"
#include "unit.h"

/* Builds a document from "path=value" pairs (NULL-terminated). */
static void build(flat *f, const char *const *kv)
{
	memset(f, 0, sizeof *f);
	for (; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char path[256];

		snprintf(path, sizeof path, "%.*s", (int)(eq - *kv), *kv);
		flat_add(f, path, "text", eq + 1);
	}
	flat_index(f);
}

static void test_lookups_and_elements(void)
{
	static const char *const kv[] = {
		"totalCount=3",
		"results[0].device.deviceId=1",
		"results[0].status=DOWNLOADING",
		"results[1].device.deviceId=2",
		"results[1].pastNotifications[0]=x",
		"results[10].device.deviceId=11",
		"dup=first",
		"dup=last",
		NULL,
	};
	flat f;
	flat_view root, el;
	char pre[64];
	size_t pos, n = 0;
	const char *ids[3] = {0};

	build(&f, kv);
	root = flat_root(&f);
	CHECK_STR_EQ(flat_val(&root, "totalCount"), "3");
	CHECK_STR_EQ(flat_val(&root, "dup"), "last");
	CHECK(flat_val(&root, "results") == NULL);
	CHECK(flat_has(&root, "results"));
	CHECK(!flat_has(&root, "result"));
	CHECK(!flat_has(&root, "totalCoun"));
	pos = root.lo;
	while (flat_next(&root, "results", &pos, &el, pre, sizeof pre)) {
		if (n < 3)
			ids[n] = flat_val(&el, "device.deviceId");
		n++;
	}
	CHECK_INT_EQ(n, 3);
	CHECK_STR_EQ(ids[0], "1");
	CHECK_STR_EQ(ids[1], "2");
	CHECK_STR_EQ(ids[2], "11"); /* results[1] is not a prefix of [10] */
	/* a view only sees its own leaves */
	pos = root.lo;
	flat_next(&root, "results", &pos, &el, pre, sizeof pre);
	CHECK_STR_EQ(el.pre, "results[0].");
	CHECK(flat_val(&el, "pastNotifications[0]") == NULL);
	CHECK_STR_EQ(flat_val(&el, "status"), "DOWNLOADING");
	flat_free(&f);
}

/* The one source that claims the document, or NULL (none, or a tie). */
static const char *winner(const char *const *kv)
{
	flat f;
	flat_view v;
	const char *name = NULL;
	int best = 0, ties = 0;

	build(&f, kv);
	v = flat_root(&f);
	for (size_t i = 0; sources_table[i]; i++) {
		int s = sources_table[i]->recognise(&v);

		if (s > best) {
			best = s;
			name = sources_table[i]->name;
			ties = 0;
		} else if (s && s == best) {
			ties++;
		}
	}
	flat_free(&f);
	return ties ? "(tie)" : name ? name : "(none)";
}

static void test_every_shape_has_one_source(void)
{
	static const char *const raw[] = {
		"StatusItems.softwareupdate.install-state=none",
		"FullReport=", NULL};
	static const char *const env[] = {
		"received_at=2026-11-25T08:00:00Z",
		"report.StatusItems.device.identifier.serial-number=X", NULL};
	static const char *const hook[] = {"topic=mdm.DeclarativeManagement",
					   "created_at=2026-11-25T08:00:00Z",
					   "checkin_event.raw_payload=PD94",
					   NULL};
	static const char *const items[] = {
		"statusItems[0].key=softwareupdate.install-state",
		"statusItems[0].value=none", NULL};
	static const char *const statuses[] = {
		"totalCount=1", "results[0].device.deviceId=1",
		"results[0].device.objectType=COMPUTER",
		"results[0].status=DOWNLOADING", NULL};
	static const char *const plans[] = {
		"totalCount=1",
		"results[0].planUuid=6f2c",
		"results[0].device.deviceId=1",
		"results[0].specificVersion=26.1",
		"results[0].forceInstallLocalDateTime=2026-12-01T18:00:00",
		"results[0].status.state=Init",
		NULL};
	static const char *const values[] = {
		"A047820F[0].path=.StatusItems.softwareupdate.install-state",
		"A047820F[0].value=downloading", NULL};
	static const char *const decl[] = {
		"Type=com.apple.configuration.softwareupdate.enforcement."
		"specific",
		"Identifier=x", NULL};
	static const char *const sofa[] = {
		"UpdateHash=abc", "OSVersions[0].OSVersion=Tahoe 26", NULL};
	static const char *const tokens[] = {
		"SyncTokens.DeclarationsToken=5d41", NULL};
	static const char *const unknown[] = {"devices[0].id=1", NULL};

	CHECK_STR_EQ(winner(raw), "ddm-status-report");
	CHECK_STR_EQ(winner(env), "ddm-ndjson-envelope");
	CHECK_STR_EQ(winner(hook), "nanomdm-webhook");
	CHECK_STR_EQ(winner(items), "jamf-ddm-status-items");
	CHECK_STR_EQ(winner(statuses), "jamf-software-update-statuses");
	CHECK_STR_EQ(winner(plans), "jamf-software-update-plans");
	CHECK_STR_EQ(winner(values), "kmfddm-status-values");
	CHECK_STR_EQ(winner(decl), "ddm-enforcement-declaration");
	CHECK_STR_EQ(winner(sofa), "sofa");
	CHECK_STR_EQ(winner(tokens), "ddm-sync-documents");
	CHECK_STR_EQ(winner(unknown), "(none)");
}

/* The leaves javamap_flatten makes of s, as "path=value(type)" lines. */
static const char *jm(const char *s)
{
	static char out[1024];
	flat f = {0};
	size_t o = 0;

	out[0] = '\0';
	if (!javamap_flatten(s, "i", &f))
		return "(not a map)";
	for (size_t i = 0; i < f.n && o < sizeof out; i++)
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s=%s(%s)",
				      i ? " " : "", f.v[i].path, f.v[i].val,
				      f.v[i].type);
	flat_free(&f);
	return out;
}

static void test_java_maps(void)
{
	CHECK_STR_EQ(jm("{os-version=27.0.1, build-version=27A5340, "
			"target-local-date-time=2026-10-03T18:00:00}"),
		     "i.os-version=27.0.1(text) i.build-version=27A5340(text) "
		     "i.target-local-date-time=2026-10-03T18:00:00(text)");
	/* a value may hold ", " when no "name=" follows */
	CHECK_STR_EQ(jm("{count=2, reason=Download failed, retrying later}"),
		     "i.count=2(integer) i.reason=Download failed, retrying "
		     "later(text)");
	CHECK_STR_EQ(
		jm("[{active=true, identifier=com.example.a}, "
		   "{active=false, identifier=b}]"),
		"i[0].active=true(true) i[0].identifier=com.example.a(text) "
		"i[1].active=false(false) i[1].identifier=b(text)");
	CHECK_STR_EQ(jm("{reason=[declaration], declaration-id=x}"),
		     "i.reason[0]=declaration(text) i.declaration-id=x(text)");
	CHECK_STR_EQ(jm("{}"), "(not a map)");
	CHECK_STR_EQ(jm("{not a map}"), "(not a map)");
	CHECK_STR_EQ(jm("[1, 2]"), "(not a map)"); /* plain text stays text */
	CHECK_STR_EQ(jm("{a=1"), "(not a map)");
	CHECK_STR_EQ(jm("{a={b=1}"), "(not a map)");
	CHECK_STR_EQ(jm("26.1"), "(not a map)");
}

/* kmfddm_files_recognise over a record given as fields. */
static bool kmf(size_t n, const char *const *f)
{
	size_t len[8];

	for (size_t i = 0; i < n; i++)
		len[i] = strlen(f[i]);
	return kmfddm_files_recognise(f, len, n);
}

static void test_kmfddm_files(void)
{
	static const char *const values[] = {".StatusItems.device.model.family",
					     "object", "string", "Mac"};
	static const char *const decls[] = {"2026-11-24T09:00:01.123456789Z",
					    "com.example.sub",
					    "true",
					    "valid",
					    "4e3d2c1b",
					    "configuration",
					    "W10="};
	static const char *const errs[] = {"2026-11-24T09:00:01Z", ".Errors",
					   "e30="};
	static const char *const header[] = {"serial_number", "status",
					     "reported_at", "group"};
	static const char *const notime[] = {
		"yesterday", "com.example.sub", "true", "valid", "x", "y", "z"};

	CHECK(kmf(4, values));
	CHECK(kmf(7, decls));
	CHECK(kmf(3, errs));
	CHECK(!kmf(4, header)); /* a vendor's header is not KMFDDM's row */
	CHECK(!kmf(7, notime));
}

/* json_tree's leaves of doc, normalised as flat.c does ("$.a.\"b\"[0]" is
 * "a.b[0]"), one "path|type|value" line each. */
static ddm_err ref_leaf(void *ctx, const char *path, size_t plen,
			const char *type, const char *val, size_t vlen)
{
	buf *out = ctx;
	size_t i = 0;

	if (plen && path[0] == '$')
		i = 1;
	if (i < plen && path[i] == '.')
		i++;
	for (; i < plen; i++)
		if (path[i] != '"')
			buf_putc(out, path[i]);
	buf_putc(out, '|');
	buf_puts(out, type);
	buf_putc(out, '|');
	if (val)
		buf_append(out, val, vlen);
	else
		buf_puts(out, "(null)");
	buf_putc(out, '\n');
	return DDM_OK;
}

static void test_parse_is_json_tree(void)
{
	static const char *const docs[] = {
		"{\"a\":1,\"b-c\":{\"d\":[true,false,null,\"x\"]}}",
		"[{\"a\":[]},{},[],[[1,2],[3]],-12,0]",
		"{\"a\":1,\"a\":2}",
		"{ \"e\" : { } , \"f\" :[ ] ,\"\":5,\"g\":{\"\":{\"h\":1}}}",
		"{\"s\":\"tab\\t nl\\n q\\\" bs\\\\ sl\\/ u\\u00e9\\u20ac "
		"pair\\ud83d\\ude00\"}",
		"{\"utf8\":\"\xc3\xa9\xe2\x82\xac\", \"k y.z[0]\":\"v\"}",
		/* taken by SQLite: reals, big or odd integers, escaped keys,
		 * NUL and lone surrogates, syntax errors */
		"{\"r\":1.5,\"e\":1e3,\"m\":-0.0}",
		"{\"big\":123456789012345678901,\"m0\":-0,\"i\":"
		"18446744073709551615}",
		"{\"k\\u0041\":1,\"n\":\"a\\u0000b\",\"lone\":\"\\udc00\"}",
		"{\"a\":1,}",
		"{\"a\":tru}",
		"[1 2]",
		"{\"deep\":[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]}",
		NULL,
	};
	char dir[] = "/tmp/ddm-test-flat-XXXXXX", path[64];
	store *s = NULL;

	if (!mkdtemp(dir)) {
		CHECK(false);
		return;
	}
	snprintf(path, sizeof path, "%s/t.db", dir);
	CHECK(store_open(path, 0, &s) == DDM_OK);
	for (size_t i = 0; s && docs[i]; i++) {
		flat f = {0};
		buf got = {0}, want = {0};
		char why[200], why2[200];
		ddm_err e1 = flat_parse(s, docs[i], strlen(docs[i]), &f, why,
					sizeof why);
		ddm_err e2 =
			store_json_leaves(s, docs[i], strlen(docs[i]), ref_leaf,
					  &want, why2, sizeof why2);

		CHECK_MSG(e1 == e2, "document %zu: %d vs %d", i, (int)e1,
			  (int)e2);
		for (size_t j = 0; e1 == DDM_OK && j < f.n; j++) {
			buf_puts(&got, f.v[j].path);
			buf_putc(&got, '|');
			buf_puts(&got, f.v[j].type);
			buf_putc(&got, '|');
			buf_puts(&got, f.v[j].val ? f.v[j].val : "(null)");
			buf_putc(&got, '\n');
		}
		if (e1 == DDM_OK && e2 == DDM_OK)
			CHECK_STR_EQ(buf_cstr(&got), buf_cstr(&want));
		flat_free(&f);
		buf_free(&got);
		buf_free(&want);
	}
	store_close(s);
	unlink(path);
	snprintf(path, sizeof path, "%s/t.db.lock", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_kmfddm_files();
	test_java_maps();
	test_lookups_and_elements();
	test_every_shape_has_one_source();
	test_parse_is_json_tree();
	UNIT_END("flat");
}
