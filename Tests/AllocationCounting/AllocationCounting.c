// Test support only (linked into the test executable, never into the library): counts the heap
// allocations made on the calling thread between `bce_allocations_start` and
// `bce_allocations_stop`, by defining the allocation functions of the C library in the test
// executable, where they take precedence over the C library's for the whole process (glibc's
// documented way of replacing malloc), and forwarding each to glibc's own implementation.
// Every thread's calls are forwarded unchanged; only the counting thread's are counted.

#include "AllocationCounting.h"

#include <errno.h>   // defines __GLIBC__ where the C library is glibc
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static _Thread_local long allocations = 0;
static _Thread_local int counting = 0;

#define COUNT() do { if (counting) allocations++; } while (0)

void *malloc(size_t size) { COUNT(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { COUNT(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { COUNT(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { COUNT(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { COUNT(); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    COUNT();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}

int bce_allocations_countable(void) { return 1; }
void bce_allocations_start(void) { allocations = 0; counting = 1; }
long bce_allocations_stop(void) { counting = 0; return allocations; }
#else
int bce_allocations_countable(void) { return 0; }
void bce_allocations_start(void) {}
long bce_allocations_stop(void) { return -1; }
#endif
