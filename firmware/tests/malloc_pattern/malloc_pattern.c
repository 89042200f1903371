/*
 * malloc_pattern - a known sequence of heap allocations through newlib's malloc (our _sbrk,
 * bounded to the .heap section), each block written in full, some freed and reused.
 * Prints over semihosting, for tests/test_memory.py:
 *   "H <heap_start>"                     address of the heap section
 *   "A <ptr> <size>"                     each allocation (hex pointer, decimal size)
 *   "F <ptr>"                            each free
 * The heap peak the simulator reports must cover every written block (max ptr+size) and no
 * more than allocator bookkeeping beyond it; freeing and reusing must not raise it.
 * Exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern uint8_t __heap_start[];

static void *take(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        printf("malloc(%u) failed\n", (unsigned)n);
        exit(1);
    }
    memset(p, 0x5A, n);
    printf("A %08lx %u\n", (unsigned long)(uintptr_t)p, (unsigned)n);
    return p;
}

static void give(void *p)
{
    printf("F %08lx\n", (unsigned long)(uintptr_t)p);
    free(p);
}

int main(void)
{
    printf("H %08lx\n", (unsigned long)(uintptr_t)__heap_start);
    void *a = take(1000);
    void *b = take(20000);
    void *c = take(300);
    give(b);
    void *d = take(5000);       /* fits in b's hole: the peak must not grow */
    give(a);
    give(c);
    give(d);
    return 0;
}
