/*
 * The served flags: a page of bytes mapped shared before the first fork.
 * Only the master claims and releases flags (its own bitmap says which
 * are taken), and each child writes only its own, so nothing needs a
 * lock; a flag is a byte, written once.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "served.h"

/* Room for every child alive at once, old generations included. */
#define MG_SERVED_MAX 4096

static volatile uint8_t *flags;                /* shared */
static uint8_t           taken[MG_SERVED_MAX]; /* the master's own */
static volatile uint8_t *mine;                 /* a child's flag */
static int               marked;

int
mg_served_init(void)
{
	void *p = mmap(NULL, MG_SERVED_MAX, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MG_ERROR;
	flags = p;
	return MG_OK;
}

int
mg_served_claim(void)
{
	for (int i = 0; flags != NULL && i < MG_SERVED_MAX; i++)
		if (!taken[i]) {
			taken[i] = 1;
			flags[i] = 0;
			return i;
		}
	return -1;
}

int
mg_served_release(int i)
{
	if (flags == NULL || i < 0 || i >= MG_SERVED_MAX || !taken[i])
		return 0;
	taken[i] = 0;
	return flags[i] != 0;
}

void
mg_served_use(int i)
{
	mine = flags != NULL && i >= 0 && i < MG_SERVED_MAX ? &flags[i] : NULL;
	marked = 0;
}

void
mg_served_mark(void)
{
	if (marked)
		return;
	marked = 1;
	if (mine != NULL)
		*mine = 1;
}
