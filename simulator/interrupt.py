"""Ctrl-C (SIGINT) and SIGTERM: noted in the signal handler, acted on between blocks.

Python runs a signal handler whenever the interpreter next executes bytecode, which during a
simulation is often inside a Unicorn callback (an MMIO read, the interrupt hook). An exception
raised there is swallowed by ctypes ("Exception ignored on calling ctypes callback function")
or leaves a hook half done. So while a run is in progress the handler only records the signal
and asks the native block hook to stop at the end of the current block (:func:`on_signal`
listeners); the run loop sees :func:`requested` at the top of its next iteration and ends the
run as ``interrupted``, with a report. Outside a run (loading inputs, writing reports) the
handler raises :class:`Interrupted`, which the CLI turns into exit 128 + signal number
(130 for SIGINT, 143 for SIGTERM). A second Ctrl-C during a run restores the default handlers,
so a third one kills the process whatever it is doing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_requested: int | None = None
_count = 0
_listeners: list[Callable[[], None]] = []
_installed = False


class Interrupted(Exception):
    """A signal arrived while no run was in progress."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def exit_code(signum: int) -> int:
    """The shell convention: 128 + the signal number (SIGINT 130, SIGTERM 143)."""
    return 128 + signum


def name(signum: int) -> str:
    return signal.Signals(signum).name


def requested() -> int | None:
    """The signal received since handling began (or the last :func:`clear`), else None
    (always None while the handlers are not installed)."""
    return _requested if _installed else None


def clear() -> None:
    global _requested, _count
    _requested = None
    _count = 0


def _handler(signum: int, _frame) -> None:
    global _requested, _count
    if _requested is None:
        _requested = signum
    _count += 1
    if not _listeners:
        raise Interrupted(signum)
    for listener in tuple(_listeners):
        listener()
    if _count >= 2:                      # the run is taking its time to stop: next one kills
        for s in SIGNALS:
            signal.signal(s, signal.SIG_DFL)


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Install the handlers for the duration (main thread only; elsewhere a no-op)."""
    global _installed
    if threading.current_thread() is not threading.main_thread() or _installed:
        yield
        return
    old = {s: signal.getsignal(s) for s in SIGNALS}
    clear()
    for s in SIGNALS:
        signal.signal(s, _handler)
    _installed = True
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _installed = False
        clear()


@contextlib.contextmanager
def on_signal(listener: Callable[[], None]) -> Iterator[None]:
    """While inside, a signal calls ``listener`` (it must only note things, e.g. ask the
    native hook to stop soon) instead of raising :class:`Interrupted`."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def active() -> bool:
    """Whether the handlers are installed (a run should then check :func:`requested`)."""
    return _installed
