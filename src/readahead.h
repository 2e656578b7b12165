/*
 * readahead.h - an input read and parsed in a thread of its own.
 *
 * The readers (csvin, jsonin) spend a third of an ingest reading, hashing
 * and parsing; the caller's thread spends the rest storing what they
 * found.  A reader started here runs in a thread of its own and puts
 * each event (a record, a document, a bad line: whatever bytes it needs)
 * into a batch; full batches are handed to the caller's thread, which
 * plays them in order.  Two batches at most are in flight, so memory is
 * bounded by two batches of READAHEAD_BATCH bytes plus one event.
 *
 * When the caller's play says stop (non-OK), the reading thread stops at
 * its next hand-over and later events are dropped unplayed.  What the
 * reader read ahead is read: a reader that hashes and counts its input as
 * it reads keeps hash, count and file position in step.
 *
 * Only for inputs that end (regular files): a reader blocked on a pipe
 * that never ends could not be stopped.
 */
#ifndef DDM_READAHEAD_H
#define DDM_READAHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "util.h"

/* A batch is handed over once it holds this many bytes. */
#define READAHEAD_BATCH (256 * 1024)

typedef struct readahead readahead;

/* Starts read(arg) in a thread of its own; NULL when no thread can be
 * started (the caller then reads in its own thread). */
readahead *readahead_start(void (*read)(readahead *ra, void *arg), void *arg);

/* In the reading thread: the buffer to append the next event's bytes to
 * (played, they start aligned for a size_t or a pointer). */
buf *readahead_event(readahead *ra);

/* In the reading thread: the event appended is whole.  False once the
 * caller's thread asked to stop: the reader should stop reading. */
bool readahead_put(readahead *ra);

/* In the caller's thread: play(ctx, ev, len) on every event in order
 * until one returns non-OK (returned); then waits for the reading thread
 * to end and frees ra. */
ddm_err readahead_play(readahead *ra,
		       ddm_err (*play)(void *ctx, const char *ev, size_t len),
		       void *ctx);

#endif
