/*
 * queue.c: the bounded queue of pointers between the batch's threads
 * (reader -> signing loop -> writer), woken in runs (see queue.h).
 */
#include <string.h>

#include "queue.h"

void
queue_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	pthread_cond_init(&q->nonfull, NULL);
}

void
queue_destroy(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->nonfull);
}

/* false when the consumer stopped (p is then still the caller's). */
bool
queue_put(struct queue *q, void *p)
{
	bool ok;

	pthread_mutex_lock(&q->mu);
	if (q->n == BATCH_QUEUE)
		while (q->n > BATCH_QUEUE - BATCH_WAKE && !q->stop)
			pthread_cond_wait(&q->nonfull, &q->mu);
	if ((ok = !q->stop)) {
		q->v[(q->head + q->n) % BATCH_QUEUE] = p;
		q->n++;
		if (q->n >= BATCH_WAKE || q->eager)
			pthread_cond_signal(&q->nonempty);
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

/* An item is there for a consumer that may take it now (see struct queue). */
bool
queue_ready_locked(const struct queue *q)
{
	return q->n > 0 && (q->n >= BATCH_WAKE || q->eager);
}

void *
queue_pop_locked(struct queue *q)
{
	void *p;

	p = q->v[q->head];
	q->head = (q->head + 1) % BATCH_QUEUE;
	q->n--;
	if (q->n <= BATCH_QUEUE - BATCH_WAKE)
		pthread_cond_signal(&q->nonfull);
	return p;
}

void *
queue_get(struct queue *q)
{
	void *p;

	pthread_mutex_lock(&q->mu);
	if (q->n == 0)
		while (q->n == 0 || (q->n < BATCH_WAKE && !q->eager))
			pthread_cond_wait(&q->nonempty, &q->mu);
	p = q->v[q->head];
	q->head = (q->head + 1) % BATCH_QUEUE;
	q->n--;
	if (q->n <= BATCH_QUEUE - BATCH_WAKE)
		pthread_cond_signal(&q->nonfull);
	pthread_mutex_unlock(&q->mu);
	return p;
}

/* Producer side: the consumer takes items as they come (on), or in runs. */
void
queue_eager_locked(struct queue *q, bool on)
{
	q->eager = on;
	if (on)
		pthread_cond_signal(&q->nonempty);
}

void
queue_eager(struct queue *q, bool on)
{
	pthread_mutex_lock(&q->mu);
	queue_eager_locked(q, on);
	pthread_mutex_unlock(&q->mu);
}

/* Consumer side: stop the producer and drop what it queued (free_fn each). */
void
queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->nonfull);
	pthread_mutex_unlock(&q->mu);
}
