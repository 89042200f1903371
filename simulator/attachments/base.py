"""The attachment interface and the signal it subscribes through."""

from __future__ import annotations

from peripherals.ports import Signal   # one signal type for peripherals and attachments

__all__ = ["Attachment", "Signal"]


class Attachment:
    """Base class: every method is optional (the defaults do nothing)."""

    def attach(self, machine) -> None:
        """Called once by ``Machine.attach``: subscribe to the machine's signals."""

    def before_execute(self, machine) -> None:
        """Between blocks, after events and exception entry, right before the CPU runs."""

    def cpu_stopped(self, machine) -> bool:
        """The CPU stopped for no reason of the machine's: True if this attachment did it
        (the machine then resumes execution where it stopped)."""
        return False

    def breakpoint_instruction(self, machine, pc: int) -> bool:
        """The CPU executes a BKPT (other than semihosting's) at ``pc``: True if this
        attachment takes it as a debugger does (halting); else it escalates to HardFault."""
        return False

    def finish(self, machine, result) -> None:
        """The run ended; ``result`` is its RunResult."""
