"""The Cortex-M7 blocks the machine itself drives, found once through typed core ports.

The core file of the platform (simulator/platforms/cortex_m7.toml, ``[ports]``) names the
window that serves each port; :meth:`CoreBlocks.resolve` checks its model when the machine is
built (a wrong or missing window is one PlatformError line), so the machine never looks a
block up by name afterwards:

- ``nvic`` / ``stir``: the exception engine reads and sets their pending/enable state;
- ``scb``: cache enables and trap bits (CCR listeners), SLEEPONEXIT / SLEEPDEEP (SCR), the
  reset request (AIRCR.SYSRESETREQ), fault status registers;
- ``mpu``: the MPU regions the access-permission map follows;
- ``fpu_cache``: cache maintenance operations (the I-cache model is invalidated);
- ``itm``: the stimulus packets ``--swo`` writes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from peripherals.base import Peripheral
from peripherals.fpu_cache import FpuCache
from peripherals.itm import ITM
from peripherals.mpu import MPU
from peripherals.nvic import Nvic, Stir
from peripherals.scb import Scb

#: port -> the model class its window must have
KINDS: dict[str, type[Peripheral]] = {"nvic": Nvic, "stir": Stir, "scb": Scb, "mpu": MPU,
                                      "fpu_cache": FpuCache, "itm": ITM}


@dataclass(frozen=True)
class CoreBlocks:
    """The machine's typed references to the core's blocks (None: the platform has none)."""

    nvic: Nvic | None = None
    stir: Stir | None = None
    scb: Scb | None = None
    mpu: MPU | None = None
    fpu_cache: FpuCache | None = None
    itm: ITM | None = None

    @classmethod
    def resolve(cls, ports: dict[str, str], peripherals: dict[str, Peripheral],
                source: str) -> CoreBlocks:
        from .platform import PlatformError
        unknown = sorted(set(ports) - set(KINDS))
        if unknown:
            raise PlatformError(f"{source}: unknown core port {unknown[0]!r} (known: "
                                f"{', '.join(KINDS)})")
        found: dict[str, Peripheral] = {}
        for port, name in ports.items():
            block = peripherals.get(name)
            if block is None:
                raise PlatformError(f"{source}: core port {port} = {name!r}: no such peripheral")
            if not isinstance(block, KINDS[port]):
                raise PlatformError(f"{source}: core port {port} = {name!r}: its model "
                                    f"({type(block).__name__}) is not a "
                                    f"{KINDS[port].__name__}")
            found[port] = block
        return cls(**found)  # type: ignore[arg-type]
