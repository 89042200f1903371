/* A small preemptive round-robin kernel written for this test. Its data structures have the
 * layout of FreeRTOS V11's (TCB_t, List_t, heap_4 block headers) and the same symbol names
 * (pxCurrentTCB, pxReadyTasksLists, xFreeBytesRemaining, xMinimumEverFreeBytesRemaining,
 * ucHeap), so a debugger or the simulator finds the tasks the way it finds FreeRTOS's. */
#ifndef CUBEMX_RTOS_RTOS_H
#define CUBEMX_RTOS_RTOS_H
#include <stddef.h>
#include <stdint.h>

extern size_t xFreeBytesRemaining;
extern size_t xMinimumEverFreeBytesRemaining;

int rtos_create_task(void (*fn)(void *), const char *name, uint32_t stack_words, void *arg);
void rtos_start(uint32_t systick_reload);
uint32_t rtos_ticks(void);
uint32_t rtos_stack_high_water_words(uint32_t task);
void rtos_critical_enter(void);

#endif
