/* manifest.c: a device manifest (CSV) read whole and checked, then looked up by key. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "manifest.h"
#include "media.h"

struct manifest {
	char	path[256];
	unsigned char sha[SHA256_LEN];
	char	*cols[MANIFEST_MAX_COLS];	/* owned */
	size_t	ncols;
	char	**vals;			/* rows * ncols values, owned */
	size_t	*lines;			/* each row's line */
	size_t	nrows, cap;
	size_t	*byk;			/* row indices sorted by key */
};

static int
bad(const struct manifest *m, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(const struct manifest *m, size_t line, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return airca_errf(AIRCA_ERR_INPUT, "manifest %s:%zu: %s; nothing is "
	    "signed against it until it is fixed", m->path, line, why);
}

/*
 * One field from *pp (inside the file's text, ending at end) into buf:
 * quoted or not; stops before ',' or the line end.  Returns 0, or an
 * error naming line.
 */
static int
field(const struct manifest *m, size_t line, const char **pp, const char *end,
    char *buf)
{
	const char *p = *pp;
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++;; p++) {
			if (p == end)
				return bad(m, line, "a quoted field is not "
				    "closed");
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"') {
					p++;
				} else {
					p++;
					break;
				}
			} else if (*p == '\n' || *p == '\r')
				return bad(m, line, "a line break inside a "
				    "quoted field: values are one line");
			if (n == MANIFEST_MAX_FIELD)
				return bad(m, line, "a field is longer than %d "
				    "bytes", MANIFEST_MAX_FIELD);
			buf[n++] = *p;
		}
		if (p < end && *p != ',' && *p != '\n' && *p != '\r')
			return bad(m, line, "text after a closing quote (write "
			    "a quote inside a quoted field as \"\")");
	} else {
		for (; p < end && *p != ',' && *p != '\n' && *p != '\r'; p++) {
			if (*p == '"')
				return bad(m, line, "a quote inside an unquoted "
				    "field (quote the whole field, and write "
				    "the quote as \"\")");
			if (n == MANIFEST_MAX_FIELD)
				return bad(m, line, "a field is longer than %d "
				    "bytes", MANIFEST_MAX_FIELD);
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	switch (text_class(buf, n)) {
	case 1:
		return bad(m, line, "a field holds control or invisible "
		    "characters");
	case 2:
		return bad(m, line, "a field is not valid UTF-8");
	}
	*pp = p;
	return 0;
}

/* The fields of one line into out[] (at most max); *np gets how many. */
static int
split_line(const struct manifest *m, size_t line, const char **pp,
    const char *end, char **out, size_t max, size_t *np)
{
	char buf[MANIFEST_MAX_FIELD + 1];
	size_t n = 0;
	int r;

	for (;;) {
		if ((r = field(m, line, pp, end, buf)) != 0)
			return r;
		if (n == max)
			return bad(m, line, "more than %zu fields (the header "
			    "names %zu columns)", max, max);
		if ((out[n] = strdup(buf)) == NULL)
			return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		n++;
		*np = n;
		if (*pp < end && **pp == ',') {
			(*pp)++;
			continue;
		}
		break;
	}
	if (*pp < end && **pp == '\r') {
		(*pp)++;
		if (*pp < end && **pp != '\n')
			return bad(m, line, "a carriage return that does not "
			    "end the line");
	}
	if (*pp < end)
		(*pp)++;	/* the '\n' */
	return 0;
}

static const struct manifest *sort_m;

static int
cmp_key(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return strcmp(sort_m->vals[x * sort_m->ncols],
	    sort_m->vals[y * sort_m->ncols]);
}

static int
add_row(struct manifest *m, size_t line, char **f)
{
	char **nv;
	size_t *nl, ncap;

	if (m->nrows == MANIFEST_MAX_ROWS)
		return bad(m, line, "more than %d rows", MANIFEST_MAX_ROWS);
	if (m->nrows == m->cap) {
		ncap = m->cap == 0 ? 256 : m->cap * 2;
		if ((nv = reallocarray(m->vals, ncap * m->ncols,
		    sizeof(*nv))) == NULL)
			return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		m->vals = nv;
		if ((nl = reallocarray(m->lines, ncap, sizeof(*nl))) == NULL)
			return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
		m->lines = nl;
		m->cap = ncap;
	}
	memcpy(&m->vals[m->nrows * m->ncols], f, m->ncols * sizeof(*f));
	m->lines[m->nrows++] = line;
	return 0;
}

static int
parse(struct manifest *m, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char *f[MANIFEST_MAX_COLS] = { NULL };
	size_t line = 1, n = 0, i, j;
	int r;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* the header */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
	    p[1] == '\n'))) {
		p += *p == '\r' ? 2 : 1;
		line++;
	}
	if (p == end)
		return bad(m, line, "no header line (the column names, the "
		    "key column first)");
	if ((r = split_line(m, line, &p, end, m->cols, MANIFEST_MAX_COLS,
	    &m->ncols)) != 0)
		return r;
	for (i = 0; i < m->ncols; i++) {
		if (!policy_column_ok(m->cols[i]))
			return bad(m, line, "column name '%.64s': 1..%d "
			    "letters, digits, '_', '.' or '-'", m->cols[i],
			    MAP_COLUMN_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(m->cols[i], m->cols[j]) == 0)
				return bad(m, line, "column '%s' given twice",
				    m->cols[i]);
	}
	for (line++; p < end; line++) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			continue;
		}
		n = 0;
		r = split_line(m, line, &p, end, f, m->ncols, &n);
		if (r == 0 && n != m->ncols)
			r = bad(m, line, "%zu field%s, the header names %zu "
			    "columns", n, n == 1 ? "" : "s", m->ncols);
		if (r == 0 && f[0][0] == '\0')
			r = bad(m, line, "the key (column '%s') is empty",
			    m->cols[0]);
		if (r == 0 && (r = add_row(m, line, f)) == 0)
			n = 0;	/* the row owns them now */
		for (i = 0; i < n; i++)
			free(f[i]);
		if (r != 0)
			return r;
	}
	if (m->nrows == 0)
		return bad(m, line, "no rows: the manifest lists no device");
	if ((m->byk = calloc(m->nrows, sizeof(*m->byk))) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	for (i = 0; i < m->nrows; i++)
		m->byk[i] = i;
	sort_m = m;
	qsort(m->byk, m->nrows, sizeof(*m->byk), cmp_key);
	sort_m = NULL;
	for (i = 1; i < m->nrows; i++)
		if (strcmp(manifest_key(m, m->byk[i - 1]),
		    manifest_key(m, m->byk[i])) == 0) {
			size_t a = m->byk[i - 1], b = m->byk[i];

			return bad(m, m->lines[a > b ? a : b], "key '%.64s' "
			    "given twice (also at line %zu): one row per "
			    "device", manifest_key(m, a),
			    m->lines[a < b ? a : b]);
		}
	return 0;
}

int
manifest_parse(const char *name, const unsigned char *data, size_t len,
    struct manifest **mp)
{
	struct manifest *m = NULL;
	int r;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return airca_errf(AIRCA_ERR_NOMEM, "out of memory");
	snprintf(m->path, sizeof(m->path), "%s", name);
	sha256(data, len, m->sha);
	if (len > MANIFEST_MAX_BYTES) {
		r = bad(m, 1, "larger than %d bytes", MANIFEST_MAX_BYTES);
		goto out;
	}
	if (memchr(data, '\0', len) != NULL) {
		r = bad(m, 1, "the file holds a NUL byte: not a CSV text");
		goto out;
	}
	/* sort_m is a file-level pointer: one manifest is sorted at a time */
	if ((r = parse(m, (const char *)data, len)) != 0)
		goto out;
	*mp = m;
	m = NULL;
	r = 0;
 out:
	manifest_free(m);
	return r;
}

int
manifest_load(const char *path, struct manifest **mp)
{
	unsigned char *buf = NULL;
	size_t len;
	int r;

	if ((r = media_read(path, MANIFEST_MAX_BYTES, &buf, &len)) != 0)
		return r;
	r = manifest_parse(path, buf, len, mp);
	free(buf);
	return r;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ncols; i++)
		free(m->cols[i]);
	for (i = 0; i < m->nrows * m->ncols; i++)
		free(m->vals[i]);
	free(m->vals);
	free(m->lines);
	free(m->byk);
	free(m);
}

const unsigned char *
manifest_sha256(const struct manifest *m)
{
	return m->sha;
}

size_t
manifest_rows(const struct manifest *m)
{
	return m->nrows;
}

const char *
manifest_key_column(const struct manifest *m)
{
	return m->cols[0];
}

size_t
manifest_find(const struct manifest *m, const char *key)
{
	size_t lo = 0, hi = m->nrows, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, m->vals[m->byk[mid] * m->ncols]);
		if (c == 0)
			return m->byk[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (size_t)-1;
}

const char *
manifest_key(const struct manifest *m, size_t idx)
{
	return m->vals[idx * m->ncols];
}

size_t
manifest_line(const struct manifest *m, size_t idx)
{
	return m->lines[idx];
}

void
manifest_row(const struct manifest *m, size_t idx, struct policy_row *row)
{
	row->cols = (const char *const *)m->cols;
	row->vals = (const char *const *)&m->vals[idx * m->ncols];
	row->n = m->ncols;
}

bool
manifest_has_column(const struct manifest *m, const char *col)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (strcmp(m->cols[i], col) == 0)
			return true;
	return false;
}
