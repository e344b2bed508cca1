/* grow.c: capacity arithmetic for dynamic arrays, checked so that a large
 * request fails with -ENOMEM instead of wrapping into a small allocation. */
#include "util/grow.h"

#include <errno.h>
#include <stdlib.h>

int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t max, ncap;
	void *p;

	if (elem == 0)
		return -EINVAL;
	if (need <= *cap)
		return 0;
	max = GROW_MAX_BYTES / elem;
	if (need > max)
		return -ENOMEM;
	ncap = *cap > GROW_START ? *cap : GROW_START;
	if (ncap > max)
		ncap = max;
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	p = realloc(*arr, ncap * elem);
	/* Doubling may ask for much more than is needed; the exact size may
	 * still fit where the doubled one did not. */
	if (!p && ncap > need) {
		ncap = need;
		p = realloc(*arr, ncap * elem);
	}
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}
