"""Why a run ended (RunResult.exit_reason, the report's summary.exit_reason)."""

from __future__ import annotations


class ExitReason:
    EXIT = "exit"                # semihosting SYS_EXIT / SYS_EXIT_EXTENDED
    FAULT = "fault"              # a fault with no handler (default infinite loop)
    LOCKUP = "lockup"            # a fault the core could not take
    IDLE = "idle"                # asleep with nothing that can ever wake it
    MAX_CYCLES = "max-cycles"
    TIMEOUT = "timeout"
    RESET_LOOP = "reset-loop"
    INTERRUPTED = "interrupted"  # SIGINT / SIGTERM (simulator/interrupt.py): a partial run
