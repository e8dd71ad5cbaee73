#ifndef BCE_ALLOCATION_COUNTING_H
#define BCE_ALLOCATION_COUNTING_H

/// 1 where allocations can be counted (Linux with glibc), else 0.
int bce_allocations_countable(void);
/// Starts counting the calling thread's heap allocations (malloc, calloc, realloc, memalign,
/// aligned_alloc, posix_memalign) from zero.
void bce_allocations_start(void);
/// Stops counting and returns the number counted since `bce_allocations_start` (-1 where not countable).
long bce_allocations_stop(void);

#endif
