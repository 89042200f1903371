"""A GDB remote-serial-protocol server for the simulator (``simulate FIRMWARE.elf --gdb``).

docs/gdb.md says what it supports and why it is our own stub rather than udbserver.
"""

from __future__ import annotations

from .rsp import Listener
from .server import GdbServer

DEFAULT_PORT = 3333


def attach(machine, listener: Listener, say=None) -> GdbServer:
    """Make ``machine`` wait for a gdb client on ``listener`` before its first instruction."""
    server = GdbServer(machine, listener, say)
    machine.attach(server)
    return server


__all__ = ["DEFAULT_PORT", "GdbServer", "Listener", "attach"]
