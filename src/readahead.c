/*
 * readahead.c - an input read and parsed in a thread of its own (see
 * readahead.h).
 *
 * A batch is a sequence of events, each a size_t length and the event's
 * bytes, padded so that the next one starts aligned for any type.
 */
#include "readahead.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN alignof(max_align_t)

struct readahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	buf batches[2];
	buf *fill;   /* the reading thread's */
	buf *ready;  /* handed over, not all played yet */
	bool done;   /* the reading thread handed over its last batch */
	bool stop;   /* the caller's play said stop */
	size_t head; /* offset in fill of the open event's length */
	void (*read)(readahead *ra, void *arg);
	void *arg;
};

static size_t aligned(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

/* Hands fill over once the caller's thread has played the batch before
 * (dropped once it said stop).  False once it said stop. */
static bool hand_over(readahead *ra)
{
	bool go;

	pthread_mutex_lock(&ra->mu);
	while (ra->ready && !ra->stop)
		pthread_cond_wait(&ra->cv, &ra->mu);
	go = !ra->stop;
	if (go && ra->fill->len) {
		ra->ready = ra->fill;
		ra->fill = ra->fill == &ra->batches[0] ? &ra->batches[1]
						       : &ra->batches[0];
		pthread_cond_broadcast(&ra->cv);
	}
	pthread_mutex_unlock(&ra->mu);
	buf_reset(ra->fill);
	return go;
}

static void *run(void *arg)
{
	readahead *ra = arg;

	ra->read(ra, ra->arg);
	hand_over(ra);
	pthread_mutex_lock(&ra->mu);
	ra->done = true;
	pthread_cond_broadcast(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	return NULL;
}

readahead *readahead_start(void (*read)(readahead *ra, void *arg), void *arg)
{
	readahead *ra = xmalloc(sizeof *ra);

	memset(ra, 0, sizeof *ra);
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	ra->fill = &ra->batches[0];
	ra->read = read;
	ra->arg = arg;
	if (pthread_create(&ra->thread, NULL, run, ra) != 0) {
		pthread_cond_destroy(&ra->cv);
		pthread_mutex_destroy(&ra->mu);
		free(ra);
		return NULL;
	}
	return ra;
}

buf *readahead_event(readahead *ra)
{
	size_t zero = 0;

	ra->head = ra->fill->len;
	buf_append(ra->fill, &zero, sizeof zero);
	return ra->fill;
}

bool readahead_put(readahead *ra)
{
	buf *b = ra->fill;
	size_t len = b->len - ra->head - sizeof len;

	memcpy(b->data + ra->head, &len, sizeof len);
	while (b->len % ALIGN)
		buf_putc(b, '\0');
	return b->len < READAHEAD_BATCH || hand_over(ra);
}

ddm_err readahead_play(readahead *ra,
		       ddm_err (*play)(void *ctx, const char *ev, size_t len),
		       void *ctx)
{
	ddm_err err = DDM_OK;

	pthread_mutex_lock(&ra->mu);
	for (;;) {
		buf *b;

		while (!ra->ready && !ra->done)
			pthread_cond_wait(&ra->cv, &ra->mu);
		if (!ra->ready)
			break;
		b = ra->ready;
		pthread_mutex_unlock(&ra->mu);
		for (size_t at = 0; at < b->len && err == DDM_OK;) {
			size_t len;

			memcpy(&len, b->data + at, sizeof len);
			at += sizeof len;
			err = play(ctx, b->data + at, len);
			at = aligned(at + len);
		}
		pthread_mutex_lock(&ra->mu);
		ra->stop = ra->stop || err != DDM_OK;
		ra->ready = NULL;
		pthread_cond_broadcast(&ra->cv);
	}
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->thread, NULL);
	buf_free(&ra->batches[0]);
	buf_free(&ra->batches[1]);
	pthread_cond_destroy(&ra->cv);
	pthread_mutex_destroy(&ra->mu);
	free(ra);
	return err;
}
