"""Python's garbage collector in a one-run ``simulate`` process.

Start-up builds only objects that live until the process exits (modules, numba's type
registry, the machine and its tables): the collector's full passes over them find nothing
and cost ~0.15 CPU s of an aligner run (two generation-2 passes during start-up, a third at
interpreter exit: docs/speed.md). So when ``simulate FIRMWARE.elf`` is the process (not a
library call from a test, a batch worker or a sweep, which build and drop many machines and
need the collector), it is off during start-up, and what start-up built is moved to the
permanent generation (``gc.freeze``) when the run begins and again at exit; the run itself
collects as usual.
"""

from __future__ import annotations

import gc

_owned = False


def own_process() -> None:
    """This process runs one simulation and exits: collect nothing during start-up."""
    global _owned
    _owned = True
    gc.disable()


def run_starts(_machine: object = None) -> None:
    """The machine is built (``simulator.api.simulate``'s ``before_run``)."""
    if _owned:
        gc.freeze()
        gc.enable()


def process_ends() -> None:
    """Nothing is left to free: the collection at interpreter exit has nothing to walk."""
    if _owned:
        gc.freeze()
