/* queue.h: a bounded queue of pointers between two threads (the batch's reader, signing loop and writer). */
#ifndef AIRCA_QUEUE_H
#define AIRCA_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define BATCH_QUEUE	64	/* requests read ahead, certificates waiting to be written */
#define BATCH_WAKE	16	/* a sleeping thread is woken for this many items at once */

/*
 * A bounded queue of pointers between two threads; NULL ends it.  A
 * consumer that found it empty sleeps until BATCH_WAKE items are there (or
 * the producer made it eager: it is about to wait for the consumer, or has
 * finished), a producer that found it full until BATCH_WAKE slots are
 * free: one wake-up for a run of items, not one for each (the threads
 * share two cores, and a wake-up for every certificate cost more context
 * switches than there were certificates).
 */
struct queue {
	pthread_mutex_t mu;
	pthread_cond_t	nonempty, nonfull;
	void	*v[BATCH_QUEUE];
	size_t	head, n;
	bool	eager;			/* the producer waits or is done: take any item */
	bool	stop;			/* the consumer gave up: producers stop */
};

void	queue_init(struct queue *q);
void	queue_destroy(struct queue *q);
bool	queue_put(struct queue *q, void *p);
bool	queue_ready_locked(const struct queue *q);
void	*queue_pop_locked(struct queue *q);
void	*queue_get(struct queue *q);
void	queue_eager_locked(struct queue *q, bool on);
void	queue_eager(struct queue *q, bool on);
void	queue_stop(struct queue *q);

#endif
