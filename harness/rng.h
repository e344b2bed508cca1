/* rng.h: the harness's seeded random numbers. Every choice a scenario makes
 * (fixture shapes, which distribution an operation touches, damage offsets)
 * comes from one of these, so a seed replays a run. No global state: each
 * user holds its own struct rng. */
#ifndef CT_RNG_H
#define CT_RNG_H
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seeds with splitmix64 so nearby seeds give unrelated streams. */
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* True with probability num/den. */
int rng_chance(struct rng *r, unsigned num, unsigned den);

#endif
