/* grow.h: the one growth helper for the harness's dynamic arrays. It owns
 * nothing: the caller keeps the array, its element count and its capacity.
 *
 * Invariants, for an array grown only through this module:
 *   - cap is the number of elements the allocation holds (0 with arr NULL);
 *   - cap * elem never exceeds GROW_MAX_BYTES, so index arithmetic on the
 *     array can never wrap and a size never reaches realloc's undefined
 *     range (glibc refuses anything past PTRDIFF_MAX anyway);
 *   - on failure nothing changes: arr, its contents and cap are as they
 *     were, so the caller frees on its one cleanup path as usual.
 *
 * The usual shape:
 *
 *	if (GROW(v->items, v->cap, v->n + 1))
 *		return -ENOMEM;
 *	v->items[v->n++] = item;
 *
 * and, where the extra count comes from input and could overflow:
 *
 *	rc = GROW(buf, cap, grow_need(len, extra));
 */
#ifndef CT_UTIL_GROW_H
#define CT_UTIL_GROW_H
#include <stddef.h>
#include <stdint.h>

/* The first capacity an empty array gets, in elements (more if the first
 * request needs more). Small arrays are the common case here. */
#define GROW_START 16

/* The largest allocation grow_array() asks for, in bytes. */
#define GROW_MAX_BYTES ((size_t)PTRDIFF_MAX)

/* Makes *arr hold at least need elements of elem bytes each. The capacity
 * doubles from max(*cap, GROW_START) until it covers need, clamped to
 * what GROW_MAX_BYTES allows; if that allocation fails, exactly need
 * elements are tried before giving up. New elements are uninitialised.
 *
 * Returns 0 (also when *cap already covers need, with nothing done),
 * -ENOMEM when need * elem would pass GROW_MAX_BYTES (checked, never
 * wrapped) or realloc fails, -EINVAL when elem is 0. On any failure *arr
 * and *cap are untouched. *arr must be NULL or come from malloc. */
int grow_array(void **arr, size_t *cap, size_t need, size_t elem);

/* a + b, or SIZE_MAX when that overflows: a need that grow_array() then
 * refuses with -ENOMEM instead of a small wrapped one it would accept. */
static inline size_t grow_need(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* grow_array() for a typed array: arr is a T * lvalue, cap a size_t lvalue.
 * Goes through a void * temporary, so no T ** is ever read as a void **.
 * Evaluates arr twice and cap once: pass plain lvalues. */
#define GROW(arr, cap, need)                                                                       \
	__extension__({                                                                            \
		void *grow_p_ = (arr);                                                             \
		int grow_rc_ = grow_array(&grow_p_, &(cap), (need), sizeof(*(arr)));               \
		(arr) = grow_p_;                                                                   \
		grow_rc_;                                                                          \
	})

#endif
