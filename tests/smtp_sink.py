"""A local SMTP server (aiosmtpd) that keeps what it receives, for tests and benchmarks.

It keeps each message's bytes and parses them only when asked (``messages``): parsing with the modern email
policy costs about 2 ms a message, which would make a benchmark measure the sink instead of the senders.
``received`` is the cheap view a count polls: (recipient, Message-ID) pairs, in arrival order. ``delay`` makes a
slow server: each message is accepted that many seconds after its data arrived (``started`` counts the messages
whose data arrived), and one whose sender hung up meanwhile is not accepted, as a server that never answered.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keep:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.raw: list[bytes] = []
        self.parsed: list[Message] = []
        self.received: list[tuple[str, str]] = []
        self.started = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.started += 1
        if self.delay:
            await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                return "451 The sender left before the message was accepted"
        data = envelope.original_content or envelope.content
        head = data.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        message_id = found.group(1).decode("ascii", "replace") if found else ""
        with self.lock:
            self.raw.append(data)
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, message_id))
        return "250 OK"


class SmtpSink:
    """Start with ``with SmtpSink() as sink``; ``sink.port`` to send to, ``sink.messages`` what arrived."""

    def __init__(self, port: int | None = None, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self._keep = _Keep(delay)
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self._keep.lock:
            raw, parsed = list(self._keep.raw), self._keep.parsed
            parsed.extend(message_from_bytes(data, policy=policy.default) for data in raw[len(parsed):])
            return list(parsed)

    @property
    def received(self) -> list[tuple[str, str]]:
        """(recipient, Message-ID) of every message, in arrival order: a repeat has the same Message-ID."""
        with self._keep.lock:
            return list(self._keep.received)

    @property
    def started(self) -> int:
        with self._keep.lock:
            return self._keep.started

    def count(self) -> int:
        with self._keep.lock:
            return len(self._keep.received)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()
