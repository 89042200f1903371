/* See rtos.h. Context switch: PendSV saves r4-r11 (and s16-s31 when the task used the FPU)
 * on the task's PSP and restores the next task's; the first task starts from SVC 0. */
#include "regs.h"
#include "rtos.h"

#define MAX_PRIORITIES 5u
#define MAX_TASK_NAME_LEN 16u
#define TOTAL_HEAP_SIZE (16u * 1024u)
#define STACK_FILL 0xA5A5A5A5u
#define BLOCK_ALLOCATED 0x80000000u          /* heap_4: top bit of xBlockSize */

typedef struct ListItem {                    /* FreeRTOS ListItem_t (20 bytes) */
    uint32_t xItemValue;
    struct ListItem *pxNext;
    struct ListItem *pxPrevious;
    void *pvOwner;
    void *pxContainer;
} ListItem_t;

typedef struct {                             /* FreeRTOS MiniListItem_t */
    uint32_t xItemValue;
    ListItem_t *pxNext;
    ListItem_t *pxPrevious;
} MiniListItem_t;

typedef struct {                             /* FreeRTOS List_t (20 bytes) */
    uint32_t uxNumberOfItems;
    ListItem_t *pxIndex;
    MiniListItem_t xListEnd;
} List_t;

typedef struct {                             /* FreeRTOS TCB_t, single core, no MPU */
    volatile uint32_t *pxTopOfStack;         /* offset 0 */
    ListItem_t xStateListItem;               /* 4 */
    ListItem_t xEventListItem;               /* 24 */
    uint32_t uxPriority;                     /* 44 */
    uint32_t *pxStack;                       /* 48 */
    char pcTaskName[MAX_TASK_NAME_LEN];      /* 52 */
} TCB_t;

typedef struct BlockLink {                   /* heap_4 BlockLink_t (8 bytes) */
    struct BlockLink *pxNextFreeBlock;
    size_t xBlockSize;
} BlockLink_t;

TCB_t *volatile pxCurrentTCB;
List_t pxReadyTasksLists[MAX_PRIORITIES];
List_t xDelayedTaskList1, xDelayedTaskList2, xPendingReadyList, xSuspendedTaskList;
uint8_t ucHeap[TOTAL_HEAP_SIZE] __attribute__((aligned(8)));
size_t xFreeBytesRemaining;
size_t xMinimumEverFreeBytesRemaining;
static size_t heap_used;
static TCB_t *tasks[3];
static uint32_t n_tasks;
static volatile uint32_t tick_count;

static void list_init(List_t *l)
{
    l->uxNumberOfItems = 0;
    l->pxIndex = (ListItem_t *)&l->xListEnd;
    l->xListEnd.xItemValue = 0xFFFFFFFFu;
    l->xListEnd.pxNext = (ListItem_t *)&l->xListEnd;
    l->xListEnd.pxPrevious = (ListItem_t *)&l->xListEnd;
}

static void list_insert_end(List_t *l, ListItem_t *item)
{
    ListItem_t *index = l->pxIndex;
    item->pxNext = index;
    item->pxPrevious = index->pxPrevious;
    index->pxPrevious->pxNext = item;
    index->pxPrevious = item;
    item->pxContainer = l;
    l->uxNumberOfItems++;
}

static void *heap_alloc(size_t bytes)        /* heap_4-like: header, 8-byte aligned, no free */
{
    size_t size = ((bytes + sizeof(BlockLink_t)) + 7u) & ~7u;
    if (heap_used + size > TOTAL_HEAP_SIZE)
        return 0;
    BlockLink_t *b = (BlockLink_t *)&ucHeap[heap_used];
    b->pxNextFreeBlock = 0;
    b->xBlockSize = size | BLOCK_ALLOCATED;
    heap_used += size;
    xFreeBytesRemaining = TOTAL_HEAP_SIZE - heap_used;
    if (xFreeBytesRemaining < xMinimumEverFreeBytesRemaining)
        xMinimumEverFreeBytesRemaining = xFreeBytesRemaining;
    return b + 1;
}

static void task_exit(void)
{
    for (;;) {
    }
}

int rtos_create_task(void (*fn)(void *), const char *name, uint32_t stack_words, void *arg)
{
    if (n_tasks == 0u) {
        for (uint32_t p = 0; p < MAX_PRIORITIES; p++)
            list_init(&pxReadyTasksLists[p]);
        list_init(&xDelayedTaskList1);
        list_init(&xDelayedTaskList2);
        list_init(&xPendingReadyList);
        list_init(&xSuspendedTaskList);
        xFreeBytesRemaining = xMinimumEverFreeBytesRemaining = TOTAL_HEAP_SIZE;
    }
    uint32_t *stack = heap_alloc(stack_words * 4u);
    TCB_t *tcb = heap_alloc(sizeof(TCB_t));
    if (!stack || !tcb || n_tasks >= 3u)
        return -1;
    for (uint32_t i = 0; i < stack_words; i++)
        stack[i] = STACK_FILL;                   /* tskSTACK_FILL_BYTE */
    uint32_t *sp = &stack[stack_words];
    sp = (uint32_t *)((uintptr_t)sp & ~7u);
    *--sp = 0x01000000u;                         /* xPSR: Thumb */
    *--sp = (uint32_t)fn;                        /* PC */
    *--sp = (uint32_t)task_exit;                 /* LR */
    sp -= 4;                                     /* r12, r3, r2, r1 */
    *--sp = (uint32_t)arg;                       /* r0 */
    *--sp = 0xFFFFFFFDu;                         /* EXC_RETURN: thread, PSP, no FP frame */
    sp -= 8;                                     /* r4-r11 */
    tcb->pxTopOfStack = sp;
    tcb->pxStack = stack;
    tcb->uxPriority = 1;
    for (uint32_t i = 0; i < MAX_TASK_NAME_LEN; i++) {
        tcb->pcTaskName[i] = name[i];
        if (!name[i])
            break;
    }
    tcb->pcTaskName[MAX_TASK_NAME_LEN - 1u] = 0;
    tcb->xStateListItem.pvOwner = tcb;
    tcb->xEventListItem.pvOwner = tcb;
    list_insert_end(&pxReadyTasksLists[1], &tcb->xStateListItem);
    tasks[n_tasks++] = tcb;
    if (!pxCurrentTCB)
        pxCurrentTCB = tcb;
    return 0;
}

void vTaskSwitchContext(void)                /* listGET_OWNER_OF_NEXT_ENTRY, priority 1 */
{
    List_t *l = &pxReadyTasksLists[1];
    l->pxIndex = l->pxIndex->pxNext;
    if ((void *)l->pxIndex == (void *)&l->xListEnd)
        l->pxIndex = l->pxIndex->pxNext;
    pxCurrentTCB = l->pxIndex->pvOwner;
}

void SysTick_Handler(void)
{
    tick_count++;
    SCB_ICSR = 1u << 28;                         /* PENDSVSET: switch at the tail */
}

uint32_t rtos_ticks(void) { return tick_count; }

void rtos_critical_enter(void) { __asm volatile ("cpsid i"); }

uint32_t rtos_stack_high_water_words(uint32_t task)   /* uxTaskGetStackHighWaterMark */
{
    uint32_t n = 0;
    const uint32_t *p = tasks[task]->pxStack;
    while (p[n] == STACK_FILL)
        n++;
    return n;
}

__attribute__((naked)) void PendSV_Handler(void)
{
    __asm volatile (
        "   mrs r0, psp                 \n"
        "   isb                         \n"
        "   ldr r3, =pxCurrentTCB       \n"
        "   ldr r2, [r3]                \n"
        "   tst lr, #0x10               \n"
        "   it eq                       \n"
        "   vstmdbeq r0!, {s16-s31}     \n"
        "   stmdb r0!, {r4-r11, lr}     \n"
        "   str r0, [r2]                \n"
        "   stmdb sp!, {r0, r3}         \n"
        "   mov r0, #0x50               \n"
        "   msr basepri, r0             \n"
        "   dsb                         \n"
        "   isb                         \n"
        "   bl vTaskSwitchContext       \n"
        "   mov r0, #0                  \n"
        "   msr basepri, r0             \n"
        "   ldmia sp!, {r0, r3}         \n"
        "   ldr r1, [r3]                \n"
        "   ldr r0, [r1]                \n"
        "   ldmia r0!, {r4-r11, lr}     \n"
        "   tst lr, #0x10               \n"
        "   it eq                       \n"
        "   vldmiaeq r0!, {s16-s31}     \n"
        "   msr psp, r0                 \n"
        "   isb                         \n"
        "   bx lr                       \n"
        "   .ltorg                      \n");
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm volatile (
        "   ldr r3, =pxCurrentTCB       \n"
        "   ldr r1, [r3]                \n"
        "   ldr r0, [r1]                \n"
        "   ldmia r0!, {r4-r11, lr}     \n"
        "   msr psp, r0                 \n"
        "   isb                         \n"
        "   mov r0, #0                  \n"
        "   msr basepri, r0             \n"
        "   bx lr                       \n"
        "   .ltorg                      \n");
}

void rtos_start(uint32_t systick_reload)
{
    SCB_SHPR3 |= (0xFFu << 16) | (0xFFu << 24);  /* PendSV and SysTick: lowest priority */
    SYST_RVR = systick_reload - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;                               /* processor clock, TICKINT, ENABLE */
    __asm volatile ("cpsie i\n svc 0\n nop");
    for (;;) {
    }
}
