"""Attachments: things that watch or steer a run without being part of the chip.

An attachment subscribes to the machine's events (``Machine.attach``): an audio feed into the
SAI, a latency probe, a debugger, an instruction trace. The chip model (Machine, peripherals,
timing) never knows which are attached.

    class Attachment:                        # simulator.attachments.base
        attach(machine)                      # once, when attached: subscribe to signals
        before_execute(machine)              # the run loop's hook point, see below
        cpu_stopped(machine) -> bool         # True: this attachment stopped the CPU mid-block
        breakpoint_instruction(machine, pc) -> bool   # True: a debugger halts on this BKPT
        finish(machine, result)              # the run ended

The run loop (Machine.run) reads like simavr's:

    while no exit:
        service the events due (both queues), stack / RAM samples, a requested reset
        if asleep: idle to the next event (or through Stop/Standby), or wake
        take the pending exceptions that can preempt
        check the limits (--max-cycles, --timeout)
        before_execute(machine) of every attachment    <- halt / single-step here
        execute to the deadline (next event, budget, D-cache window switch)

``before_execute`` is the one place between blocks where state is consistent (events
serviced, exceptions entered, PC at an instruction boundary): a debugger halts there (it may
block, waiting for its client) or sets a one-instruction deadline to single-step. When
execution returns with no stop reason of the machine's (no deadline, exit, sleep or requested
stop), each attachment's ``cpu_stopped`` is asked; one that returns True stopped the CPU itself
(a breakpoint code hook) and the machine resumes right there without servicing events, which
must not fire mid-block.
"""

from .base import Attachment, Signal

__all__ = ["Attachment", "Signal"]
