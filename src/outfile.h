/*
 * outfile.h - outputs replaced atomically.
 *
 * An output is written to a temporary file in a private folder inside the
 * output directory (".ddmreport-PID.XXXXXX", made by mkdtemp, mode 0700;
 * the file is created O_EXCL|O_NOFOLLOW, mode 0640 less the umask), flushed
 * to disk, and renamed over NAME only when the whole report set is
 * complete, so a reader sees the previous set or the new one, never a
 * partial file.  Nobody else can write into the private folder, so a link
 * planted in a shared output directory is never followed, not even by a
 * library that opens the file by name (the workbook).  Folders left by a
 * killed run are removed by the next one.
 */
#ifndef DDM_OUTFILE_H
#define DDM_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

typedef struct outfile outfile;

/*
 * Creates the temporary file for dir/name.  When want_stream is true the
 * file is open for writing (outfile_stream); otherwise it is created and
 * closed, for a library that writes by path (outfile_temp_path).  Errors:
 * DDM_ERR_CANTCREAT with a message.  *out owned by the caller: pass it to
 * outfile_commit or outfile_abort exactly once.
 */
ddm_err outfile_open(const char *dir, const char *name, int want_stream,
		     outfile **out);
FILE *outfile_stream(outfile *o);
const char *outfile_temp_path(const outfile *o);
/* Flushes and closes the temporary file (stream mode), without renaming,
 * and starts writing it to disk.  DDM_ERR_IO on a write error (e.g. disk
 * full). */
ddm_err outfile_finish(outfile *o);
/* Waits until the finished file is on disk (fsync).  Call it for every
 * file of a set before committing any, so an error replaces none.
 * DDM_ERR_IO (reported). */
ddm_err outfile_sync(outfile *o);
/* The final file name (without the directory). */
const char *outfile_name(const outfile *o);
/* SHA-256 of the finished temporary file, as 64 hex digits in hex.
 * DDM_ERR_IO (reported) when it cannot be read. */
ddm_err outfile_sha256(const outfile *o, char hex[65]);
/* The same, saying nothing (false when it cannot be read, errno set):
 * safe on another thread while the files are not written. */
bool outfile_hash(const outfile *o, char hex[65]);
/*
 * When dir holds a report set (SHA256SUMS), makes its new SHA256SUMS: the
 * lines of the n finished files replaced (or added) with their new hashes,
 * every other line kept, so `sha256sum -c` still passes once they are all
 * committed.  *out is NULL when there is no set, else the manifest to
 * commit last.  Errors: DDM_ERR_IO / DDM_ERR_CANTCREAT (reported).
 */
ddm_err outfile_manifest_update(const char *dir, outfile *const *files, int n,
				outfile **out);
/* Renames the finished temporary file over its final name and frees o. */
ddm_err outfile_commit(outfile *o);
/* Removes the temporary file and frees o.  Accepts NULL. */
void outfile_abort(outfile *o);
/* Removes the private folders (and ".*.tmp-PID" files of older versions)
 * in dir whose process is gone. */
void outfile_clean_stale(const char *dir);
/* As outfile_clean_stale for every folder the --out pattern can name: with
 * "{date}" in it, every dated folder, not only today's. */
void outfile_clean_stale_all(const char *pattern);

#endif
