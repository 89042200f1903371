"""Typed ports and signals: how peripheral models reach each other.

A model never looks another block up by name. What it needs from the rest of the chip arrives
through a *port* that the platform file wires (``[wiring]`` in simulator/platforms/*.toml,
done by peripherals/wiring.py when the machine is built), the way Renode's platform files wire
``rtc.Wakeup -> exti@19``:

* chip-wide ports, one block each, handed to every model: ``clocks`` (the clock tree, a
  :class:`ClockTree`: named clock outputs such as ``cpu``, ``hclk``, ``pclk1``, ``timx_ker``,
  kernel clock muxes, clock gates), ``power`` (:class:`PowerControl`: voltage scale, the mode
  deep sleep enters, the low-power state), ``flash`` (:class:`FlashInterface`: wait states),
  ``debug`` (:class:`DebugControl`: DEMCR.TRCENA);
* per-block ports (``links = ["DMA1.mux = DMAMUX1"]`` in ``[wiring]``) for a
  model class that declares them in ``ports``;
* signals: a model declares its outputs (``outputs``: each becomes a :class:`Signal`
  attribute) and inputs (``inputs``: each an ``input_<name>(index, *values)`` method); the
  platform wires ``"RTC.wakeup -> EXTI.line@19"``.

A port is ``None`` when the platform wires nothing to it (a block tested alone); the wiring
checks every wired block against the port's Protocol once, when the machine is built, so a
model never probes another with ``hasattr``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


class Signal:
    """An output line or event: ``connect`` a callback, ``emit`` calls every callback in
    connection order (a callback may connect another while it runs: it is called from the
    next emit on)."""

    __slots__ = ("name", "_slots")

    def __init__(self, name: str) -> None:
        self.name = name
        self._slots: list[Callable[..., None]] = []

    def connect(self, callback: Callable[..., None]) -> None:
        self._slots.append(callback)

    def emit(self, *args: Any) -> None:
        for cb in tuple(self._slots):
            cb(*args)

    def __bool__(self) -> bool:
        return bool(self._slots)

    def __repr__(self) -> str:
        return f"Signal({self.name!r}, {len(self._slots)} connected)"


@runtime_checkable
class ClockTree(Protocol):
    """The chip's clock tree (RCC): named clock outputs, kernel clock muxes, clock gates."""

    #: the names :meth:`clock_hz` knows (what a consumer's ``kernel_clock`` /
    #: ``timer_clock`` may name: checked when the platform is wired)
    CLOCKS: tuple[str, ...]
    #: emitted after any change of a derived clock or of a clock gate
    clock_changed: Signal

    def clock_hz(self, name: str) -> float: ...

    def kernel_clock_source(self, block: str) -> str:
        """The clock (one of CLOCKS) a block's kernel clock mux selects; KeyError when the
        tree has no mux for that block."""

    def kernel_clock_hz(self, block: str) -> float: ...

    def rtcclk_hz(self) -> float:
        """The RTC's clock (its selection and gate in the backup domain), 0 when stopped."""

    def block_enabled(self, block: str) -> bool:
        """The block's clock-enable bit (True for a block the tree does not gate)."""

    def system_clock_from_pll(self) -> bool:
        """The system clock runs from the main PLL (when --cpu-freq takes effect)."""

    def power_state(self) -> dict[str, Any]:
        """What the power model charges for the clock tree right now: ``peripherals_on``
        (clocked blocks), ``clocks`` (the APB clocks by name), ``plls_on`` (locked PLLs)."""

    def enter_stop(self) -> None:
        """Deep sleep entered Stop: PLLs and HSE stop, the wake-up clock becomes sysclk."""

    def note_reset(self, flag: str) -> None:
        """After a system reset: set the reset-cause flag ``flag`` (RCC_RSR / RCC_CSR)."""

    def check_operating_point(self) -> None:
        """Warn when the clocks exceed what the voltage scale or flash wait states allow."""


@runtime_checkable
class PowerControl(Protocol):
    """The chip's power controller (PWR)."""

    #: emitted when the regulator reaches a new voltage scale
    vos_changed: Signal

    @property
    def vos(self) -> int:
        """The voltage scale the regulator runs at (the power tables' operating point)."""

    def stop_mode(self) -> str:
        """What WFI with SLEEPDEEP enters now: ``"stop"`` or ``"standby"``."""

    def entered_stop(self) -> None: ...

    def left_standby(self) -> None: ...

    def keeps_backup_sram(self) -> bool:
        """Backup SRAM keeps its contents through Standby (its regulator is on)."""

    def backup_writable(self) -> bool:
        """The backup domain (RTC, RCC_BDCR) accepts writes (PWR_CR1.DBP)."""

    def power_state(self) -> dict[str, Any]:
        """What the power model charges for the power controller right now: ``svos`` (Stop
        voltage scale), ``flash_low_power`` (flash powered down in Stop), ``pdds`` (the
        power-down bits of the domains)."""


@runtime_checkable
class FlashInterface(Protocol):
    """The embedded flash interface: read wait states and their check."""

    @property
    def latency(self) -> int: ...

    def check_latency(self, axi_hz: float, vos: int) -> str | None:
        """A warning when the wait states are too few for this clock and scale, else None."""


@runtime_checkable
class DebugControl(Protocol):
    """The debug control block (DCB): trace enable."""

    demcr_changed: Signal

    @property
    def trcena(self) -> bool: ...


@runtime_checkable
class RequestRouter(Protocol):
    """A DMA request multiplexer: which request source drives a DMA stream."""

    def source_for(self, dma: str, stream: int) -> Any:
        """The request source object wired to the request line routed to ``dma`` stream
        ``stream``, or None."""


@runtime_checkable
class DmaRequester(Protocol):
    """A block that raises DMA requests: ``dma_port(port)`` is the request source of one of
    its request outputs (an SAI block "A"/"B", a timer's "UP"/"CC1"...)."""

    def dma_port(self, port: str) -> Any: ...


@runtime_checkable
class DirectEventInput(Protocol):
    """An EXTI with direct (wake-up) event inputs driven by other blocks (LPTIM)."""

    def set_direct(self, line: int, level: bool) -> None: ...


@runtime_checkable
class TimerOutput(Protocol):
    """A block whose output channels can drive a pin (a timer's OCx)."""

    def output_level(self, channel: int) -> int | None:
        """0/1 now, None while the output is disabled."""


@runtime_checkable
class Console(Protocol):
    """A block whose output the host shows (``console = true`` in the platform file: a
    UART, the ITM stimulus port)."""

    def attach_host(self, tx: Callable[[int], None]) -> None: ...


@runtime_checkable
class UartConsole(Console, Protocol):
    """A console the host also types into, at a baud rate the host terminal must match."""

    def feed_rx(self, data: bytes) -> None: ...

    def baud(self) -> float: ...


@runtime_checkable
class WakeupController(Protocol):
    """What ends Stop (the EXTI: an unmasked wake-up event pending for the CPU)."""

    def cpu_wakeup(self) -> bool: ...


#: chip-wide ports: the name in ``[wiring]`` and in models (``self.clocks``...) -> its type
CHIP_PORTS: dict[str, type] = {
    "clocks": ClockTree,
    "power": PowerControl,
    "flash": FlashInterface,
    "debug": DebugControl,
    "wakeup_controller": WakeupController,
}
