/*
 * syscalls.c - newlib hooks that this tree overrides.
 *
 * _sbrk: librdimon's _sbrk (weak) starts the heap at `end` and refuses to grow past the
 * current stack pointer (and past __heap_limit if a debugger set it). Here the heap lives in
 * AXI SRAM (0x24xxxxxx) above the stack in DTCM (0x2001xxxx), so rdimon's check would fail
 * every allocation. This strong definition replaces it and bounds the break to the .heap
 * section of common/h743.ld: [__heap_start, __heap_end). Out of heap -> errno=ENOMEM,
 * returns (void *)-1, malloc returns NULL.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern char __heap_start[];
extern char __heap_end[];

void *_sbrk(ptrdiff_t incr);

void *_sbrk(ptrdiff_t incr)
{
    static char *brk = __heap_start;
    char *const prev = brk;

    if (incr > 0 ? (size_t)incr > (size_t)(__heap_end - brk)
                 : (size_t)(-incr) > (size_t)(brk - __heap_start)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += incr;
    return prev;
}
