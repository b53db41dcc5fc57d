"""A local SMTP server (aiosmtpd) that keeps what it receives, for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, str]] = []  # (recipient, subject), read once: cheap to count while polling
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((str(message["To"]), str(message["Subject"])))
        return "250 OK"


class SmtpSink:
    """Start with ``with SmtpSink() as sink``; ``sink.port`` to send to, ``sink.messages`` what arrived."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._keep = _Keep()
        self._controller = Controller(self._keep, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self._keep.lock:
            return list(self._keep.messages)

    @property
    def envelopes(self) -> list[tuple[str, str]]:
        with self._keep.lock:
            return list(self._keep.envelopes)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()
