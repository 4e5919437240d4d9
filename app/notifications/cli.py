"""`iotmatch worker`, `iotmatch mailbox`, `iotmatch outbox` and `iotmatch send-test-mail`: delivering the outbox,
and seeing the mail locally."""

import json
import signal
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import FrameType
from typing import Annotated, Any

import typer
from email_validator import EmailNotValidError, validate_email

from app.cli_support import cli_session, existing_database_url, fail
from app.config import get_settings
from app.db import make_engine, make_session_factory
from app.notifications.mail import render_email
from app.notifications.outbox import enqueue_email
from app.notifications.worker import Worker, backlog, load_job_modules


def register(cli: typer.Typer) -> None:
    """Add the delivery commands to the main CLI."""
    cli.command("worker")(worker_command)
    cli.command("mailbox")(mailbox_command)
    cli.command("outbox")(outbox_command)
    cli.command("send-test-mail")(send_test_mail_command)


def worker_command(
    once: Annotated[bool, typer.Option(help="send what is due now, run the jobs once, and exit")] = False,
) -> None:
    """Send the outbox's e-mails and webhooks, and run the periodic jobs, until stopped (SIGTERM or Ctrl-C).

    Several workers may run at once on one database; run IOTMATCH_WORKER=off on the servers then, or let them
    help.
    """
    from app.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    engine = make_engine(existing_database_url())
    load_job_modules()
    worker = Worker(make_session_factory(engine), settings)
    try:
        if once:
            while worker.run_once() >= settings.worker_batch_size:
                pass
            return

        def stop(signum: int, _frame: FrameType | None) -> None:
            worker.stop()  # the message being sent is finished and marked first

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker.run()
    finally:
        worker.close()
        engine.dispose()


def outbox_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """How many messages wait in the outbox, how long the oldest has waited, and how many failed for good."""
    with cli_session() as session:
        state = backlog(session)
    if as_json:
        typer.echo(json.dumps(state.__dict__))
        return
    typer.echo(f"pending: {state.pending} (oldest waiting {state.oldest_pending_seconds:.0f} s); "
               f"failed: {state.failed}")


def send_test_mail_command(
    address: Annotated[str, typer.Argument(help="where to send it")],
    lang: Annotated[str, typer.Option(help="ja or en")] = "ja",
) -> None:
    """Queue a test e-mail (Japanese and English text, HTML part) to check the SMTP settings; a worker sends it."""
    try:  # the same check as the addresses members enter, so a typo is caught here rather than by the SMTP server
        address = validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        fail(f"{address!r} is not a valid e-mail address: {exc} Give a bare address such as "
             "hanako@example.jp.")
    sent_at = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    subject, text, html = render_email("smtp_check", lang, sent_at=sent_at)
    with cli_session() as session:
        enqueue_email(session, to=address, subject=subject, text=text, html=html,
                      idempotency_key=f"smtp-check:{address}:{time.time_ns()}")
    typer.echo(f"queued a test e-mail to {address}; a worker sends it through "
               f"{get_settings().smtp_host}:{get_settings().smtp_port}")


def _show(message: EmailMessage, rcpt: list[str]) -> str:
    lines = [f"--- {datetime.now().strftime('%H:%M:%S')} ---------------------------------------------",
             f"To:         {message.get('To', '')} (envelope: {', '.join(rcpt)})",
             f"Subject:    {message.get('Subject', '')}", f"Message-ID: {message.get('Message-ID', '')}"]
    for header in ("List-Unsubscribe",):
        if header in message:
            lines.append(f"{header}: {message[header]}")
    body = message.get_body(preferencelist=("plain", "html"))
    lines += ["", str(body.get_content()) if body is not None else "(no text part)", ""]
    return "\n".join(lines)


def mailbox_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port; IOTMATCH_SMTP_PORT by default")] = None,
) -> None:
    """A local SMTP server for development that prints every e-mail it receives (sign-in links included) and
    delivers nothing further. Run it beside `make run`; the default settings send there."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

    port = port or get_settings().smtp_port

    class Printer:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
            raw: Any = envelope.original_content or envelope.content or b""
            parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            typer.echo(_show(parsed, list(envelope.rcpt_tos)))
            return "250 Message accepted"

    controller = Controller(Printer(), hostname=host, port=port, enable_SMTPUTF8=True)
    try:
        controller.start()
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}")
    typer.echo(f"mailbox listening on {host}:{port}; e-mails are printed here (Ctrl-C stops)")
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        controller.stop()
