/*
 * res.c - compiled-in defaults for queries/ and templates/, with override
 * directories.
 *
 * A resource is looked up first in the override directory of its top
 * folder (so "queries/formats/kandji.fmt" is DIR/formats/kandji.fmt when
 * --queries DIR is given), then among the embedded defaults.  Loaded
 * resources are kept for the life of the process: the About sheet lists
 * each with its SHA-256, which is the provenance an auditor asks for.
 */
#define _DEFAULT_SOURCE
#include "res.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sha256.h"
#include "util.h"

static char *dir_queries;   /* owned; NULL when no override */
static char *dir_templates; /* owned; NULL when no override */
static resource **loaded;   /* owned: every resource loaded, for About */
static size_t nloaded;

static char **dir_slot(const char *top)
{
	if (strcmp(top, "queries") == 0)
		return &dir_queries;
	if (strcmp(top, "templates") == 0)
		return &dir_templates;
	return NULL;
}

/* A file under an override folder at another path than the built-in file
 * of its name would be silently ignored (DIR/past-deadline.sql for
 * queries/reports/past-deadline.sql, or --queries naming the reports
 * folder itself): the built-in policy would run while the admin believes
 * theirs does.  Returns the built-in name that file's name belongs to, or
 * NULL when the file is where it overrides or adds something. */
static const char *misplaced(const char *top, const char *rel)
{
	const char *base = strrchr(rel, '/');
	size_t tlen = strlen(top);
	const char *found = NULL;

	base = base ? base + 1 : rel;
	for (const res_file *f = res_embedded; f->name; f++) {
		const char *fb = strrchr(f->name, '/');

		if (strncmp(f->name, top, tlen) != 0 || f->name[tlen] != '/')
			continue;
		if (strcmp(f->name + tlen + 1, rel) == 0)
			return NULL;
		if (fb && strcmp(fb + 1, base) == 0)
			found = f->name;
	}
	return found;
}

/* Walks dir (rel is its path under the override folder, "" at the top) a
 * few levels deep; the first misplaced file is an error. */
static ddm_err check_placement(const char *top, const char *root,
			       const char *rel, int depth)
{
	char *path = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *e;
	ddm_err err = DDM_OK;

	while (d && err == DDM_OK && (e = readdir(d)) != NULL) {
		char *sub, *full;
		struct stat st;
		const char *builtin;

		if (e->d_name[0] == '.')
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, e->d_name)
			   : xstrdup(e->d_name);
		full = xasprintf("%s/%s", root, sub);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 3)
				err = check_placement(top, root, sub,
						      depth + 1);
		} else if ((builtin = misplaced(top, sub)) != NULL) {
			err = diag_error(DDM_ERR_USAGE, diag_q(full),
					 "would be ignored: to override the "
					 "built-in %s, "
					 "put it at %s/%s (the --%s folder "
					 "stands for %s/)",
					 builtin, root,
					 builtin + strlen(top) + 1, top, top);
		}
		free(full);
		free(sub);
	}
	if (d)
		closedir(d);
	free(path);
	return err;
}

ddm_err res_set_dir(const char *top, const char *dir)
{
	char **slot = dir_slot(top);
	struct stat st;

	if (!slot)
		return diag_error(DDM_ERR_INTERNAL, NULL,
				  "no resource folder %s", top);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return diag_error(DDM_ERR_NOINPUT, diag_q(dir),
				  "cannot use as %s directory: %s", top,
				  errno ? strerror(errno) : "not a directory");
	if (check_placement(top, dir, "", 0) != DDM_OK)
		return DDM_ERR_USAGE;
	free(*slot);
	*slot = xstrdup(dir);
	return DDM_OK;
}

/* Returns the override path for name (malloc'd) or NULL. */
static char *override_path(const char *name)
{
	const char *slash = strchr(name, '/');
	char top[32];
	char **slot;

	if (!slash || (size_t)(slash - name) >= sizeof top)
		return NULL;
	memcpy(top, name, (size_t)(slash - name));
	top[slash - name] = '\0';
	slot = dir_slot(top);
	if (!slot || !*slot)
		return NULL;
	return xasprintf("%s/%s", *slot, slash + 1);
}

static const res_file *embedded_find(const char *name)
{
	for (const res_file *f = res_embedded; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static resource *remember(const char *name, const char *origin, char *text,
			  size_t len, int embedded)
{
	resource *r = xcalloc(1, sizeof *r);
	sha256_ctx c;

	r->name = xstrdup(name);
	r->origin = xstrdup(origin);
	r->text = text;
	r->len = len;
	r->embedded = embedded;
	sha256_init(&c);
	sha256_update(&c, text, len);
	sha256_final_hex(&c, r->sha256);
	loaded = xrealloc(loaded, (nloaded + 1) * sizeof *loaded);
	loaded[nloaded++] = r;
	return r;
}

static ddm_err read_whole(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	buf b = {0};
	char chunk[8192];
	size_t n;

	if (!f)
		return DDM_ERR_NOINPUT;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		buf_free(&b);
		return DDM_ERR_IO;
	}
	fclose(f);
	buf_cstr(&b);
	*text = b.data;
	*len = b.len;
	return DDM_OK;
}

ddm_err res_load(const char *name, const resource **out)
{
	char *path;
	const res_file *emb;

	for (size_t i = 0; i < nloaded; i++) {
		if (strcmp(loaded[i]->name, name) == 0) {
			*out = loaded[i];
			return DDM_OK;
		}
	}
	path = override_path(name);
	if (path) {
		char *text;
		size_t len;
		ddm_err err = read_whole(path, &text, &len);

		if (err == DDM_OK) {
			*out = remember(name, path, text, len, 0);
			free(path);
			return DDM_OK;
		}
		if (errno != ENOENT) {
			diag_error(DDM_ERR_NOINPUT, diag_q(path),
				   "cannot read: %s", strerror(errno));
			free(path);
			return DDM_ERR_NOINPUT;
		}
		free(path);
	}
	emb = embedded_find(name);
	if (!emb)
		return diag_error(DDM_ERR_NOINPUT, diag_q(name),
				  "no such query or template");
	*out = remember(name, name, xstrndup(emb->data, emb->len), emb->len, 1);
	return DDM_OK;
}

static void add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return;
	if (*n + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*names = xrealloc(*names, *cap * sizeof **names);
	}
	(*names)[(*n)++] = xstrdup(name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **res_list(const char *folder, const char *suffix)
{
	char **names = NULL;
	size_t n = 0, cap = 0, flen = strlen(folder);
	/* "templates/": override_path needs the slash to find the folder (a
	 * top-level folder's own new files were never listed without it). */
	char *key = xasprintf("%s/", folder);
	char *dirpath = override_path(key);

	for (const res_file *f = res_embedded; f->name; f++) {
		const char *rest = f->name + flen;

		if (strncmp(f->name, folder, flen) == 0 && *rest == '/' &&
		    !strchr(rest + 1, '/') && has_suffix(f->name, suffix))
			add_name(&names, &n, &cap, f->name);
	}
	if (dirpath) {
		DIR *d = opendir(dirpath);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL) {
			char *name;

			if (e->d_name[0] == '.' ||
			    !has_suffix(e->d_name, suffix))
				continue;
			name = xasprintf("%s/%s", folder, e->d_name);
			add_name(&names, &n, &cap, name);
			free(name);
		}
		if (d)
			closedir(d);
		free(dirpath);
	}
	free(key);
	if (!names)
		names = xmalloc(sizeof *names);
	qsort(names, n, sizeof *names, cmp_names);
	names[n] = NULL;
	return names;
}

void res_list_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

void res_each_loaded(void (*fn)(const resource *r, void *ctx), void *ctx)
{
	for (size_t i = 0; i < nloaded; i++)
		fn(loaded[i], ctx);
}

void res_free_all(void)
{
	for (size_t i = 0; i < nloaded; i++) {
		free(loaded[i]->name);
		free(loaded[i]->origin);
		free(loaded[i]->text);
		free(loaded[i]);
	}
	free(loaded);
	loaded = NULL;
	nloaded = 0;
	free(dir_queries);
	free(dir_templates);
	dir_queries = dir_templates = NULL;
}
