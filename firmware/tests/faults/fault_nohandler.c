/*
 * fault_nohandler - a fault with no handler installed.
 *
 * HardFault_Handler, BusFault_Handler, ... are the startup.c weak aliases of Default_Handler,
 * an infinite loop ("b ."). SHCSR is left at its reset value (no dedicated fault handlers).
 *
 * main() prints "fault_nohandler: reading the sensor" over semihosting, then calls
 * read_sensor_register() which loads a word from 0x60000000 (FMC bank 1, not enabled):
 * a precise BusFault escalated to HardFault.
 *
 * Expected observable behaviour (simulator):
 *   CFSR = 0x00008200 (PRECISERR | BFARVALID), BFAR = 0x60000000, HFSR = 0x40000000 (FORCED),
 *   IPSR = 3, the core spinning in Default_Handler forever, no exit.
 *   The stacked PC points at the faulting ldr inside read_sensor_register(), source line
 *   tests/faults/fault_nohandler.c:26 (the line marked FAULT LINE below). The simulator
 *   should stop and diagnose: fault kind (HardFault, forced from BusFault PRECISERR at
 *   0x60000000), function read_sensor_register, file:line from the DWARF line table.
 */
#include <stdio.h>
#include <stdint.h>

#define SENSOR_REG ((volatile uint32_t *)0x60000000UL)

__attribute__((noinline)) uint32_t read_sensor_register(void)
{
    return *SENSOR_REG;   /* FAULT LINE */
}

int main(void)
{
    printf("fault_nohandler: reading the sensor\n");
    uint32_t v = read_sensor_register();
    printf("fault_nohandler: read 0x%08lx (no fault?)\n", (unsigned long)v);
    return 98;
}
