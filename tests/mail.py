"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the mail tests.

The `smtp_server` fixture (tests/conftest.py) starts one on a free port and points the IOTMATCH_SMTP_* settings
at it, so the service, the worker and any `iotmatch` subprocess started with `smtp_server.env` deliver there:

    def test_sign_in(smtp_server: Mailbox) -> None:
        ...                                     # something that queues a mail, then a worker cycle sends it
        [mail] = smtp_server.wait_for(1)        # parsed email.message.EmailMessage objects
        link = smtp_server.link(mail, "/signin/")
        assert smtp_server.text(mail).startswith("博多 花子 様")

`stop()` and `start()` take the server down and bring it back on the same port (an outage).
"""

import asyncio
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

URL = re.compile(r"https?://[^\s<>\"')]+")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collector:
    """aiosmtpd handler: parses every message and hands it to the mailbox."""

    def __init__(self, mailbox: "Mailbox") -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        mailbox = self.mailbox
        with mailbox._lock:
            mailbox._rcpts += 1
            hold = mailbox._hold_at is not None and mailbox._rcpts == mailbox._hold_at
        if hold:  # keep the client waiting in the middle of this message until release()
            mailbox.holding.set()
            while not mailbox._released.is_set():
                await asyncio.sleep(0.01)
        if mailbox.delay:
            await asyncio.sleep(mailbox.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mailbox._received(parsed, list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class Mailbox:
    """The messages a local SMTP server received, in arrival order, with helpers to wait for and read them."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []  # the envelope's RCPT TO of each message
        self.raw: list[bytes] = []  # each message as it came over the wire
        self._lock = threading.Condition()
        self._controller: Controller | None = None
        self.delay = 0.0  # seconds each RCPT TO takes (a slow server)
        self._rcpts = 0
        self._hold_at: int | None = None
        self.holding = threading.Event()  # set while a client is held by hold_at()
        self._released = threading.Event()

    # -- the server ---------------------------------------------------------------------------------------------
    def start(self) -> "Mailbox":
        """Listen (again) on the mailbox's port."""
        if self._controller is None:
            # SMTPUTF8 on: the addresses and the headers may be UTF-8 as sent by a modern client.
            controller = Controller(_Collector(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold_at(self, count: int) -> None:
        """Keep the client that sends the `count`-th recipient (from now) waiting before the message is accepted,
        until release(); `holding` is set when that happens. The message is not received unless released."""
        with self._lock:
            self._hold_at = self._rcpts + count
        self.holding.clear()
        self._released.clear()

    def release(self) -> None:
        """Let a held client go on."""
        self._hold_at = None
        self._released.set()

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def env(self) -> dict[str, str]:
        """The settings that send the service's mail here (for a subprocess's environment)."""
        return {"IOTMATCH_SMTP_HOST": self.host, "IOTMATCH_SMTP_PORT": str(self.port),
                "IOTMATCH_SMTP_STARTTLS": "false", "IOTMATCH_SMTP_SSL": "false",
                "IOTMATCH_SMTP_USERNAME": "", "IOTMATCH_SMTP_PASSWORD": ""}

    # -- what arrived -------------------------------------------------------------------------------------------
    def _received(self, message: EmailMessage, recipients: list[str], raw: bytes) -> None:
        with self._lock:
            self.messages.append(message)
            self.recipients.append(recipients)
            self.raw.append(raw)
            self._lock.notify_all()

    def clear(self) -> None:
        """Forget what arrived so far."""
        with self._lock:
            self.messages.clear()
            self.recipients.clear()
            self.raw.clear()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived (AssertionError after `timeout` s); returns them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} message(s) at the SMTP server within {timeout:g} s, "
                                         f"got {len(self.messages)}")
                self._lock.wait(left)
            return list(self.messages)

    def settle(self, quiet: float = 0.5) -> list[EmailMessage]:
        """Wait until nothing more arrived for `quiet` seconds (to see that nothing extra comes); returns them."""
        while True:
            count = len(self.messages)
            time.sleep(quiet)
            if len(self.messages) == count:
                return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope or To: header names the address (case-insensitive)."""
        wanted = address.lower()
        with self._lock:
            return [m for m, rcpt in zip(self.messages, self.recipients, strict=True)
                    if wanted in (r.lower() for r in rcpt) or wanted in str(m.get("To", "")).lower()]

    def wait_for_mail_to(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """Block until `count` messages to the address arrived; returns those."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(address)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s) to {address} within {timeout:g} s, "
                                     f"got {len(found)}")
            with self._lock:
                self._lock.wait(0.1)

    # -- reading a message --------------------------------------------------------------------------------------
    @staticmethod
    def text(message: EmailMessage) -> str:
        """The text/plain part, decoded."""
        part = message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text/plain part"
        return str(part.get_content())

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The text/html part, decoded."""
        part = message.get_body(preferencelist=("html",))
        assert part is not None, "the message has no text/html part"
        return str(part.get_content())

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        """Every http(s) URL in the text part, in order."""
        return URL.findall(cls.text(message))

    @classmethod
    def link(cls, message: EmailMessage, containing: str = "") -> str:
        """The first URL in the text part that contains `containing` (e.g. "/signin/")."""
        found = [url for url in cls.links(message) if containing in url]
        assert found, f"no link containing {containing!r} in:\n{cls.text(message)}"
        return found[0]

    def __len__(self) -> int:
        return len(self.messages)

    def __enter__(self) -> "Mailbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
