/*
 * batch-window.c: batch signing's window (batch-sign.c): the requests
 * between judged and recorded, and the signing threads, one a token
 * session, that build, lint and sign them in between.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "batch-int.h"
#include "ca.h"
#include "csr.h"
#include "error.h"
#include "issue.h"
#include "token.h"

static void
ring_put(struct ring *q, struct slot *sl)
{
	q->v[(q->head + q->n++) % SIGN_WINDOW] = sl;
}

static struct slot *
ring_get(struct ring *q)
{
	struct slot *sl;

	if (q->n == 0)
		return NULL;
	sl = q->v[q->head];
	q->head = (q->head + 1) % SIGN_WINDOW;
	q->n--;
	return sl;
}

/* Build and lint a slot's certificate, with this thread's issuer and key (NULL: the slot's). */
static int
slot_build(struct slot *sl, X509 *issuer, EVP_PKEY *pub)
{
	struct issue_params ip = sl->ip;
	int r;

	if (issuer != NULL) {
		ip.issuer = issuer;
		ip.sign_pub = pub;
	}
	if ((r = issue_build(&ip, &sl->tbs)) != 0)
		snprintf(sl->msg, sizeof(sl->msg), "%s", airca_errmsg());
	return r;
}

static void
slot_publish(struct signers *sg, struct slot *sl, int r, X509 *cert)
{
	pthread_mutex_lock(&sg->mu);
	sl->cert = cert;
	sl->r = r;
	sl->ready = true;
	pthread_cond_broadcast(&sg->done);
	pthread_mutex_unlock(&sg->mu);
}

/*
 * A signing thread: sign what the signing loop built, or else build and
 * sign the next judged request itself.  libp11 takes a session of its
 * pool for each signature: as many sessions at once as there are
 * threads, each signing one request after another while the others are
 * built and recorded.
 */
static void *
sworker_main(void *arg)
{
	struct sworker *w = arg;
	struct signers *sg = w->sg;
	struct slot *sl;
	X509 *cert;
	bool stop, built;
	int r;

	pthread_setname_np(pthread_self(), "airca-signer");
	for (;;) {
		pthread_mutex_lock(&sg->mu);
		while (sg->sign.n == 0 && sg->build.n == 0 && !sg->stop)
			pthread_cond_wait(&sg->work, &sg->mu);
		built = (sl = ring_get(&sg->sign)) != NULL;
		if (sl == NULL && (sl = ring_get(&sg->build)) == NULL) {
			pthread_mutex_unlock(&sg->mu);
			break;
		}
		stop = sg->stop;
		pthread_mutex_unlock(&sg->mu);
		cert = NULL;
		r = AIRCA_ERR_INTERNAL;		/* stopped: never looked at */
		/* where it can, the token's signature alone: put together by the signing loop */
		if (!stop && (built || (r = slot_build(sl, w->issuer,
		    w->pub)) == 0) && (r = issue_sign_split(sl->tbs) ?
		    issue_sign_digest(sl->tbs) : issue_sign(sl->tbs, &cert)) != 0)
			snprintf(sl->msg, sizeof(sl->msg), "%s", airca_errmsg());
		slot_publish(sg, sl, r, cert);
	}
	return NULL;
}

void
slot_submit(struct signers *sg, struct slot *sl)
{
	pthread_mutex_lock(&sg->mu);
	ring_put(&sg->build, sl);
	pthread_cond_signal(&sg->work);
	pthread_mutex_unlock(&sg->mu);
}

/*
 * The signing loop, with nothing else to do, builds the next judged
 * request for the signing threads: they only sign.  False if there is
 * none.
 */
bool
window_help(struct signers *sg)
{
	struct slot *sl;
	int r;

	pthread_mutex_lock(&sg->mu);
	sl = ring_get(&sg->build);
	pthread_mutex_unlock(&sg->mu);
	if (sl == NULL)
		return false;
	if ((r = slot_build(sl, NULL, NULL)) != 0) {
		slot_publish(sg, sl, r, NULL);
		return true;
	}
	pthread_mutex_lock(&sg->mu);
	ring_put(&sg->sign, sl);
	pthread_cond_signal(&sg->work);
	pthread_mutex_unlock(&sg->mu);
	return true;
}

void
slot_set_ready(struct signers *sg, struct slot *sl)
{
	pthread_mutex_lock(&sg->mu);
	sl->ready = true;
	pthread_mutex_unlock(&sg->mu);
}

bool
slot_ready(struct signers *sg, struct slot *sl)
{
	bool ready;

	pthread_mutex_lock(&sg->mu);
	ready = sl->ready;
	pthread_mutex_unlock(&sg->mu);
	return ready;
}

void
slot_wait(struct signers *sg, struct slot *sl)
{
	pthread_mutex_lock(&sg->mu);
	while (!sl->ready)
		pthread_cond_wait(&sg->done, &sg->mu);
	pthread_mutex_unlock(&sg->mu);
}

void
slot_free(struct slot *sl)
{
	if (sl->jb != NULL)
		csr_free(sl->jb->c);
	free(sl->jb);
	ca_judged_free(sl->j);
	issue_tbs_free(sl->tbs);
	X509_free(sl->cert);
	sl->tbs = NULL;
	sl->jb = NULL;
	sl->j = NULL;
	sl->cert = NULL;
}

void
window_init(struct signers *sg)
{
	memset(sg, 0, sizeof(*sg));
	pthread_mutex_init(&sg->mu, NULL);
	pthread_cond_init(&sg->work, NULL);
	pthread_cond_init(&sg->done, NULL);
}

int
window_start(struct signers *sg, unsigned n, X509 *cacert, EVP_PKEY *key)
{
	struct sworker *w;
	unsigned k;
	int r;

	for (k = 0; k < n && k < TOKEN_SIGN_SESSIONS_MAX; k++) {
		w = &sg->w[k];
		w->sg = sg;
		if ((w->issuer = X509_dup(cacert)) == NULL)
			return AIRCA_ERR_NOMEM;
		if ((r = issue_signer_pub(key, &w->pub)) != 0)
			return r;
		if (pthread_create(&w->t, NULL, sworker_main, w) != 0)
			return airca_errf(AIRCA_ERR_INTERNAL, "cannot start a "
			    "signing thread");
		w->started = true;
		sg->nw++;
	}
	return 0;
}

void
window_stop(struct signers *sg)
{
	unsigned k;

	pthread_mutex_lock(&sg->mu);
	sg->stop = true;
	pthread_cond_broadcast(&sg->work);
	pthread_mutex_unlock(&sg->mu);
	for (k = 0; k < TOKEN_SIGN_SESSIONS_MAX; k++) {
		if (sg->w[k].started)
			pthread_join(sg->w[k].t, NULL);
		sg->w[k].started = false;
		X509_free(sg->w[k].issuer);
		EVP_PKEY_free(sg->w[k].pub);
		sg->w[k].issuer = NULL;
		sg->w[k].pub = NULL;
	}
}

void
window_destroy(struct signers *sg)
{
	pthread_mutex_destroy(&sg->mu);
	pthread_cond_destroy(&sg->work);
	pthread_cond_destroy(&sg->done);
}
