"""Applications: the host side of firmware that runs on the simulated chip.

The core (machine, bus, peripherals, timing, power, report) knows nothing of any
application; an application's host code lives here and reaches the run only through the
public API (``simulator.api``): what it sends the firmware's UART before the run, what it
parses from the UART after it, and the attachments it adds (``simulator/attachments``).

- ``aligner``: the forced aligner of ``firmware/aligner`` (its line protocol, fixed by
  ``firmware/aligner/CONTRACT.md``, and the TextGrid / SRT / WebVTT / JSON writers).
"""
