/*
 * Reading a descriptor to its end or to a bound (readfull.h).
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "readfull.h"

ssize_t
mg_read_full(int fd, void *buf, size_t size)
{
	char   *p = buf;
	size_t  n = 0;
	ssize_t r;

	while (n < size) {
		r = read(fd, p + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}
