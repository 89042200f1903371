"""GDB remote serial protocol framing: ``$data#cs`` packets, acks, escapes, Ctrl-C.

Reference: the GDB manual, appendix "GDB Remote Serial Protocol" (sections Overview,
Packet Acknowledgment, Interrupts, Binary Data). A packet is ``$`` + data + ``#`` + two hex
digits of the modulo-256 sum of the data bytes. Binary payloads (``X``, ``vFile``) escape
``#``, ``$``, ``}`` and ``*`` as ``}`` followed by the byte XOR 0x20. A lone 0x03 byte outside
a packet is an interrupt request. Until ``QStartNoAckMode`` is accepted, every packet is
acknowledged with ``+`` (good checksum) or ``-`` (bad checksum: the peer resends).
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

INTERRUPT = b"\x03"
ESCAPED = frozenset(b"#$}*")


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(data: bytes) -> bytes:
    """``$data#cs`` with the characters that must not appear raw escaped."""
    out = bytearray()
    for b in data:
        if b in ESCAPED:
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return b"$" + bytes(out) + b"#" + f"{checksum(bytes(out)):02x}".encode()


def unescape(data: bytes) -> bytes:
    """Undo the ``}``-escapes of a binary payload."""
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append(next(it, 0) ^ 0x20 if b == 0x7D else b)
    return bytes(out)


def expand_rle(data: bytes) -> bytes:
    """Run-length encoding (``X*n``: repeat X n-29 more times), which gdb may use in packets
    it sends (the manual allows it in both directions)."""
    if b"*" not in data:
        return data
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == 0x2A and out and i + 1 < len(data):
            out += bytes((out[-1],)) * (data[i + 1] - 29)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


class PacketParser:
    """Incremental parser: feed bytes, get packets (bytes), interrupts (INTERRUPT) and
    checksum verdicts back."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_packet = False
        self._csum: bytearray | None = None

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """Events: ("packet", data), ("bad", b"") for a checksum mismatch, ("interrupt", b""),
        ("ack", b"+") / ("nak", b"-")."""
        events: list[tuple[str, bytes]] = []
        for b in data:
            if self._csum is not None:
                self._csum.append(b)
                if len(self._csum) == 2:
                    body = bytes(self._buf)
                    try:
                        ok = int(self._csum.decode(), 16) == checksum(body)
                    except ValueError:
                        ok = False
                    events.append(("packet", body) if ok else ("bad", b""))
                    self._buf.clear()
                    self._csum = None
                    self._in_packet = False
            elif self._in_packet:
                if b == 0x23:                       # '#'
                    self._csum = bytearray()
                else:
                    self._buf.append(b)
            elif b == 0x24:                         # '$'
                self._in_packet = True
                self._buf.clear()
            elif b == 0x03:
                events.append(("interrupt", b""))
            elif b == 0x2B:
                events.append(("ack", b"+"))
            elif b == 0x2D:
                events.append(("nak", b"-"))
        return events


@dataclass
class Listener:
    """A listening socket on 127.0.0.1 only (the debugger is not a network service)."""

    sock: socket.socket

    @classmethod
    def bind(cls, port: int, host: str = "127.0.0.1") -> Listener:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1)
        return cls(s)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def accept(self, poll_s: float = 0.25, give_up: Callable[[], bool] | None = None
               ) -> Connection | None:
        """Wait for a client; every ``poll_s`` ask ``give_up()`` (None: wait for ever)."""
        self.sock.settimeout(poll_s)
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                if give_up is not None and give_up():
                    return None
                continue
            return Connection(conn)

    def close(self) -> None:
        self.sock.close()


class Connection:
    """One client. A reader thread parses everything the client sends: packets queue up for
    the server, and an interrupt (0x03) calls ``on_interrupt`` at once, from that thread,
    so a running simulation can be asked to stop."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self.no_ack = False
        self.on_interrupt: Callable[[], None] = lambda: None
        self._packets: queue.Queue[bytes | None] = queue.Queue()
        self._last_sent = b""
        self._lock = threading.Lock()
        self.closed = False
        self._thread = threading.Thread(target=self._read, name="gdb-rsp-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        parser = PacketParser()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for kind, body in parser.feed(data):
                    if kind == "packet":
                        if not self.no_ack:
                            self._raw(b"+")
                        self._packets.put(body)
                    elif kind == "bad":
                        if not self.no_ack:
                            self._raw(b"-")
                    elif kind == "interrupt":
                        self.on_interrupt()
                        self._packets.put(INTERRUPT)
                    elif kind == "nak" and self._last_sent:
                        self._raw(self._last_sent)
        except OSError:
            pass
        self.closed = True
        self._packets.put(None)

    def _raw(self, data: bytes) -> None:
        with self._lock:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        pkt = frame(data)
        self._last_sent = pkt
        self._raw(pkt)

    def receive(self, timeout: float | None = None) -> bytes | None:
        """The next packet (or INTERRUPT); None when the client has gone (or on timeout)."""
        try:
            return self._packets.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
