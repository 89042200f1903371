"""h7sim: an STM32H743 (Cortex-M7) firmware simulator.

The public entry points are :class:`simulator.machine.Machine` (load, run, inspect) and the
``simulate`` command (:mod:`simulator.cli`).
"""

__version__ = "0.1.0"
