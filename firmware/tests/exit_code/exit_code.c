/*
 * exit_code - exit status propagation through rdimon semihosting.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout: "exit_code: calling exit(3)"
 *   Exit: status 3.
 *
 * How rdimon reports it (librdimon _exit -> _kill_shared): it first asks whether the
 * SH_EXT_EXIT_EXTENDED feature exists by reading the ":semihosting-features" pseudo file
 * (SYS_OPEN mode 0, SYS_FLEN, SYS_READ 4-byte magic "SHFB", SYS_SEEK, SYS_READ 1 feature
 * byte: bit 0 = EXIT_EXTENDED, bit 1 = STDOUT_STDERR, SYS_CLOSE). If bit 0 is set:
 * SYS_EXIT_EXTENDED (r0 = 0x20, r1 -> {0x20026 ADP_Stopped_ApplicationExit, 3}).
 * Otherwise it falls back to SYS_EXIT (r0 = 0x18, r1 = 0x20026), which on AArch32 cannot
 * carry the status: the simulator must offer the feature file for "3" to be observable.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("exit_code: calling exit(3)\n");
    exit(3);
}
