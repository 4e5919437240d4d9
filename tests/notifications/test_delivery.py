"""The outbox delivered by real workers to a real SMTP server (aiosmtpd on 127.0.0.1) and a real HTTP receiver:
Japanese mail intact, an SMTP outage, a worker killed mid-batch, two workers at once, signed webhooks retried."""

import json
import logging
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.db import make_session_factory
from app.main import create_app
from app.notifications.mail import render_email
from app.notifications.models import OutboxMessage
from app.notifications.outbox import enqueue_email, enqueue_webhook
from app.notifications.sender import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, message_id, verify
from app.notifications.worker import Worker, backlog, register_job, retry_delay, unregister_job
from tests.mail import Mailbox, free_port

ROOT = Path(__file__).resolve().parents[2]
HANAKO = "博多 花子 <hanako@hakata-sensor.example.jp>"
FAST = {"worker_poll_seconds": 0.05, "outbox_retry_seconds": 0.2, "outbox_retry_max_seconds": 0.4,
        "worker_lease_seconds": 1.5, "smtp_timeout_seconds": 5, "webhook_timeout_seconds": 5}


def _settings(engine: Engine, **overrides: Any) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, **(FAST | overrides))  # the SMTP settings come from the smtp_server fixture


def _factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def _queue(session: Session, count: int, prefix: str = "test") -> list[str]:
    keys = [f"{prefix}:{i:03d}" for i in range(count)]
    for i, key in enumerate(keys):
        enqueue_email(session, to=f"member{i}@example.jp", subject=f"お知らせ {i}", text=f"本文 {i}",
                      html=f"<p>本文 {i}</p>", idempotency_key=key)
    session.commit()
    return keys


def _rows(engine: Engine) -> list[OutboxMessage]:
    with _factory(engine)() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _run_until(worker: Worker, done: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        worker.run_once()
        time.sleep(0.02)


@pytest.fixture
def background_worker(engine: Engine, session: Session, smtp_server: Mailbox) -> Iterator[Any]:
    """Starts a Worker.run() thread on the test database (with settings given); stops it after the test."""
    started: list[tuple[Worker, threading.Thread]] = []

    def start(**overrides: Any) -> Worker:
        worker = Worker(_factory(engine), _settings(engine, **overrides))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(10)


def test_japanese_mail_arrives_decoded_with_text_and_html(engine: Engine, session: Session,
                                                         smtp_server: Mailbox) -> None:
    subject, text, html = render_email("smtp_check", "ja", name="博多 花子", sent_at="2026-12-07 10:00",
                                       unsubscribe_url="https://match.example.jp/unsubscribe/t0k3n")
    enqueue_email(session, to=HANAKO, subject=subject, text=text, html=html, idempotency_key="check:hanako",
                  headers={"List-Unsubscribe": "<https://match.example.jp/unsubscribe/t0k3n>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    session.commit()

    Worker(_factory(engine), _settings(engine)).run_once()

    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "iotmatch: テストメール"
    assert mail["To"].addresses[0].display_name == "博多 花子"
    assert smtp_server.recipients[0] == ["hanako@hakata-sensor.example.jp"]
    assert mail["Message-ID"] == message_id("check:hanako", Settings().mail_from)
    assert mail["Date"] is not None
    assert mail["List-Unsubscribe"] == "<https://match.example.jp/unsubscribe/t0k3n>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_content_type() == "multipart/alternative"
    plain, rich = smtp_server.text(mail), smtp_server.html(mail)
    assert plain.startswith("博多 花子 様")
    assert "九州IoTコミュニティ" in plain
    assert "<p>" not in plain
    assert "<p>博多 花子 様</p>" in rich
    assert 'href="https://match.example.jp/unsubscribe/t0k3n"' in rich
    assert smtp_server.link(mail, "/unsubscribe/") == "https://match.example.jp/unsubscribe/t0k3n"
    # On the wire the headers are ASCII (RFC 2047 words) and each part names its UTF-8 charset.
    head = smtp_server.raw[0].split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    assert all(part.get_content_charset() == "utf-8" for part in mail.iter_parts())

    [row] = _rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


def test_english_mail_and_unescaped_text(engine: Engine, session: Session, smtp_server: Mailbox) -> None:
    subject, text, html = render_email("smtp_check", "en", name="O'Neil <Sales>", sent_at="now")
    assert text.startswith("Dear O'Neil <Sales>,")
    assert "Dear O&#39;Neil &lt;Sales&gt;," in html
    enqueue_email(session, to="oneil@example.com", subject=subject, text=text, html=html, idempotency_key="en")
    session.commit()
    Worker(_factory(engine), _settings(engine)).run_once()
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "iotmatch: test message (テストメール)"
    assert smtp_server.text(mail).startswith("Dear O'Neil <Sales>,")


def test_smtp_outage_delays_twenty_mails_and_loses_none(engine: Engine, session: Session, smtp_server: Mailbox,
                                                       background_worker: Any) -> None:
    smtp_server.stop()
    keys = _queue(session, 20, "outage")
    background_worker(worker_batch_size=5)
    deadline = time.monotonic() + 30
    while not all(row.last_error for row in _rows(engine)):  # every message tried and failed at least once
        assert time.monotonic() < deadline
        time.sleep(0.05)
    rows = _rows(engine)
    assert {row.status for row in rows} == {"pending"}
    assert all("ConnectionRefusedError" in (row.last_error or "") for row in rows)

    smtp_server.start()
    smtp_server.wait_for(20)
    mails = smtp_server.settle(1.0)
    ids = Counter(str(mail["Message-ID"]) for mail in mails)
    assert len(mails) == 20
    assert set(ids.values()) == {1}
    assert set(ids) == {message_id(key, Settings().mail_from) for key in keys}
    deadline = time.monotonic() + 5
    while {row.status for row in _rows(engine)} != {"sent"}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert all(row.last_error is None and row.sent_at is not None for row in _rows(engine))


def test_gives_up_after_the_maximum_attempts(engine: Engine, session: Session, smtp_server: Mailbox) -> None:
    smtp_server.stop()
    _queue(session, 1, "give-up")
    worker = Worker(_factory(engine), _settings(engine, outbox_max_attempts=3))
    _run_until(worker, lambda: _rows(engine)[0].status == "failed")
    [row] = _rows(engine)
    assert row.attempts == 3
    assert row.last_error
    with _factory(engine)() as db:
        assert backlog(db).failed == 1
        assert backlog(db).pending == 0


def test_backoff_doubles_with_jitter_up_to_the_ceiling() -> None:
    settings = Settings(outbox_retry_seconds=30, outbox_retry_max_seconds=3600)
    for attempts, ceiling in ((1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)):
        delays = [retry_delay(attempts, settings) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # spread, not one value


def _worker_process(engine: Engine, smtp_server: Mailbox, **settings: str) -> subprocess.Popen[bytes]:
    env = os.environ | smtp_server.env | {
        "PYTHONPATH": str(ROOT), "IOTMATCH_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "IOTMATCH_WORKER_POLL_SECONDS": "0.05", "IOTMATCH_WORKER_LEASE_SECONDS": "1.5",
        "IOTMATCH_OUTBOX_RETRY_SECONDS": "0.2", "IOTMATCH_OUTBOX_RETRY_MAX_SECONDS": "0.4",
        "IOTMATCH_LOG_LEVEL": "warning"} | {f"IOTMATCH_{k.upper()}": v for k, v in settings.items()}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ids(mails: list[EmailMessage]) -> Counter[str]:
    return Counter(str(mail["Message-ID"]) for mail in mails)


def test_worker_killed_mid_batch_loses_and_doubles_nothing(engine: Engine, session: Session,
                                                          smtp_server: Mailbox) -> None:
    keys = _queue(session, 30, "kill")
    smtp_server.hold_at(8)  # the 8th message, in the middle of the second batch of 5, waits at the server
    first = _worker_process(engine, smtp_server, worker_batch_size="5")
    try:
        assert smtp_server.holding.wait(60), "the worker did not reach the 8th message"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    smtp_server.release()
    assert len(smtp_server.messages) == 7
    rows = _rows(engine)
    assert sum(row.status == "sent" for row in rows) == 7  # what arrived was marked before the kill
    claimed = [row for row in rows if row.status == "pending" and row.claimed_by]
    assert len(claimed) == 3  # the 8th and the rest of its batch, left under the dead worker's lease

    second = _worker_process(engine, smtp_server, worker_batch_size="5")
    try:
        smtp_server.wait_for(30, timeout=60)
        mails = smtp_server.settle(1.0)
    finally:
        _stop(second)
    ids = _ids(mails)
    assert set(ids) == {message_id(key, Settings().mail_from) for key in keys}  # nothing lost
    assert set(ids.values()) == {1}  # nothing twice
    assert {row.status for row in _rows(engine)} == {"sent"}


def test_two_worker_processes_on_postgresql_send_each_message_once(engine: Engine, session: Session,
                                                                  smtp_server: Mailbox) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers at once is the PostgreSQL deployment (SKIP LOCKED)")
    keys = _queue(session, 60, "pair")
    smtp_server.delay = 0.01  # a server that takes its time, so the two workers overlap
    workers = [_worker_process(engine, smtp_server, worker_batch_size="3") for _ in range(2)]
    try:
        smtp_server.wait_for(60, timeout=60)
        mails = smtp_server.settle(1.0)
    finally:
        for process in workers:
            _stop(process)
    ids = _ids(mails)
    assert set(ids) == {message_id(key, Settings().mail_from) for key in keys}
    assert set(ids.values()) == {1}
    rows = _rows(engine)
    assert {row.status for row in rows} == {"sent"}
    assert {row.attempts for row in rows} == {1}
    senders = Counter((row.claimed_by or "").split(":")[0] for row in rows)
    assert len(senders) == 2, f"both workers should have sent some: {senders}"


class _Receiver(BaseHTTPRequestHandler):
    """A lab's webhook endpoint: answers the statuses queued in `answers` (then 200) and keeps each request."""

    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes, float]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body, time.monotonic()))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"answers": [], "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/iotmatch", handler
    server.shutdown()
    server.server_close()


def test_webhook_is_signed_and_retried_with_backoff_after_a_500(engine: Engine, session: Session,
                                                                smtp_server: Mailbox,
                                                                receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    handler.answers = [500]
    payload = {"event": "match.new", "need": "N-A1", "seed": "S-B1", "title": "工場向けIoT稼働監視パッケージ"}
    enqueue_webhook(session, url=url, payload=payload, secret="lab-secret", idempotency_key="alert:N-A1:S-B1")
    session.commit()
    worker = Worker(_factory(engine), _settings(engine, outbox_retry_seconds=0.5, outbox_retry_max_seconds=1))

    worker.run_once()
    [row] = _rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in (row.last_error or "")
    assert row.next_attempt_at is not None
    worker.run_once()  # not due yet: nothing is sent again at once
    assert len(handler.received) == 1

    _run_until(worker, lambda: _rows(engine)[0].status == "sent")
    assert len(handler.received) == 2
    (first_headers, _, first_at), (headers, body, at) = handler.received
    assert at - first_at >= 0.25  # the backoff: at least half the base delay
    assert json.loads(body) == payload
    assert headers[DELIVERY_HEADER] == first_headers[DELIVERY_HEADER] == "alert:N-A1:S-B1"
    assert headers["Content-Type"].startswith("application/json")
    assert verify("lab-secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("other-secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("lab-secret", headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER])
    assert _rows(engine)[0].attempts == 2


def test_registered_jobs_run_each_cycle_and_a_failing_one_stops_nothing(engine: Engine, session: Session,
                                                                       smtp_server: Mailbox) -> None:
    calls: list[str] = []

    def digest(factory: sessionmaker[Session]) -> None:
        calls.append("digest")
        with factory() as db:
            enqueue_email(db, to="hanako@hakata-sensor.example.jp", subject="ダイジェスト", text="本日の新着",
                          idempotency_key="digest:hanako:2026-12-07")
            db.commit()

    def broken(factory: sessionmaker[Session]) -> None:
        calls.append("broken")
        raise RuntimeError("a bug in a job")

    register_job("test.broken", broken)
    register_job("test.digest", digest)
    try:
        worker = Worker(_factory(engine), _settings(engine))
        worker.run_once()  # the jobs queue the digest
        worker.run_once()  # it goes out; the job runs again and finds it queued already
        [mail] = smtp_server.wait_for(1)
        assert mail["Subject"] == "ダイジェスト"
        assert calls == ["broken", "digest", "broken", "digest"]
    finally:
        unregister_job("test.broken")
        unregister_job("test.digest")


def test_the_server_sends_from_its_own_thread_and_shows_the_backlog(engine: Engine, session: Session,
                                                                   smtp_server: Mailbox) -> None:
    app = create_app(_settings(engine, worker="inline"), load_matching=False)
    with TestClient(app) as client:
        smtp_server.stop()
        _queue(session, 2, "inline")
        metrics = client.get("/metrics").text
        assert "iotmatch_outbox_pending 2.0" in metrics
        assert "iotmatch_outbox_oldest_pending_seconds" in metrics
        smtp_server.start()
        assert len(smtp_server.wait_for(2)) == 2
        deadline = time.monotonic() + 5
        while "iotmatch_outbox_pending 0.0" not in client.get("/metrics").text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert not any(t.name == "outbox-worker" and t.is_alive() for t in threading.enumerate())


def test_worker_off_leaves_the_outbox_to_worker_processes(engine: Engine, session: Session,
                                                         smtp_server: Mailbox) -> None:
    with TestClient(create_app(_settings(engine, worker="off"), load_matching=False)):
        _queue(session, 1, "off")
        time.sleep(0.5)
        assert not any(t.name == "outbox-worker" for t in threading.enumerate())
    assert smtp_server.messages == []
    assert _rows(engine)[0].status == "pending"


def test_send_test_mail_and_a_worker_run_once_from_the_command_line(cli_env: dict[str, str], engine: Engine,
                                                                    smtp_server: Mailbox) -> None:
    runner = CliRunner()
    queued = runner.invoke(cli, ["send-test-mail", "hanako@hakata-sensor.example.jp"])
    assert queued.exit_code == 0, queued.output
    waiting = runner.invoke(cli, ["outbox", "--json"])
    assert json.loads(waiting.output)["pending"] == 1
    handlers = list(logging.getLogger().handlers)
    try:
        sent = runner.invoke(cli, ["worker", "--once"])
    finally:  # the command logs to the stderr of the runner, which closes it: leave logging as it was
        logging.getLogger().handlers[:] = handlers
    assert sent.exit_code == 0, sent.output
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "iotmatch: テストメール"
    assert "日本語が正しく読める" in smtp_server.text(mail)
    assert json.loads(runner.invoke(cli, ["outbox", "--json"]).output)["pending"] == 0


def test_mailbox_command_prints_what_it_receives(tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "mailbox", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        assert "listening on 127.0.0.1:" in process.stdout.readline()
        message = EmailMessage()
        message["From"] = "noreply@iotmatch.localhost"
        message["To"] = HANAKO
        message["Subject"] = "サインインのリンク"
        message.set_content("http://127.0.0.1:8000/signin/abc")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Subject:    サインインのリンク" in output
    assert "http://127.0.0.1:8000/signin/abc" in output
    assert "hanako@hakata-sensor.example.jp" in output


def test_a_stopped_worker_hands_back_what_it_has_not_sent(engine: Engine, session: Session,
                                                         smtp_server: Mailbox) -> None:
    _queue(session, 4, "stop")
    worker = Worker(_factory(engine), _settings(engine, worker_lease_seconds=600))
    claim_id, ids = worker.claim()
    assert len(ids) == 4
    assert Worker(_factory(engine), _settings(engine)).claim()[1] == []  # claimed: no other worker takes them
    worker.stop()
    assert worker.deliver(claim_id, ids) == 0
    assert all(row.claimed_by is None and row.attempts == 0 for row in _rows(engine))
    assert len(Worker(_factory(engine), _settings(engine)).claim()[1]) == 4  # at once, not after the lease


@pytest.mark.parametrize("key", ["alert:need:N-A1:seed:S-B1", "digest:博多:2026-12-07", "a..b.", "x" * 200])
def test_message_ids_are_stable_and_well_formed(key: str) -> None:
    from email.headerregistry import HeaderRegistry

    first = message_id(key, "iotmatch <noreply@match.example.jp>")
    assert first == message_id(key, "iotmatch <noreply@match.example.jp>")
    assert first.endswith("@match.example.jp>")
    assert first.isascii()
    assert len(first) < 200
    parsed = HeaderRegistry()("Message-ID", first)
    assert not parsed.defects
    assert message_id(key + "2", "noreply@match.example.jp") != first


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_the_configured_account(engine: Engine, session: Session) -> None:
    with Mailbox(login=("iotmatch", "s3cret")) as server:
        _queue(session, 1, "login")
        smtp = {"smtp_host": server.host, "smtp_port": server.port, "smtp_username": "iotmatch"}
        Worker(_factory(engine), _settings(engine, **smtp, smtp_password="wrong")).run_once()
        [row] = _rows(engine)
        assert row.status == "pending"
        assert "SMTPAuthenticationError" in (row.last_error or "")
        assert server.messages == []
        worker = Worker(_factory(engine), _settings(engine, **smtp, smtp_password="s3cret"))
        _run_until(worker, lambda: _rows(engine)[0].status == "sent")
        assert len(server.wait_for(1)) == 1


def test_a_key_longer_than_the_column_is_queued_once_and_sent_under_a_stable_id(engine: Engine, session: Session,
                                                                                smtp_server: Mailbox) -> None:
    address = ("a" * 64 + "@" + ".".join(["sub" + "d" * 56] * 3) + ".example.jp")[:254]
    key = f"introduction:7:accepted:{address}"
    assert len(key) > 250
    first = enqueue_email(session, to=address, subject="件名", text="本文", idempotency_key=key)
    session.commit()
    again = enqueue_email(session, to=address, subject="件名", text="本文", idempotency_key=key)
    session.commit()
    assert again.id == first.id
    [row] = _rows(engine)
    assert len(row.idempotency_key) <= 200
    assert row.idempotency_key.startswith("introduction:7:accepted:aaaa")
    other = enqueue_email(session, to=address, subject="件名", text="本文", idempotency_key=key + "x")
    session.commit()
    assert other.id != first.id
    worker = Worker(_factory(engine), _settings(engine))
    _run_until(worker, lambda: {r.status for r in _rows(engine)} == {"sent"})
    ids = {mail["Message-ID"] for mail in smtp_server.wait_for(2)}
    assert ids == {message_id(key, Settings().mail_from), message_id(key + "x", Settings().mail_from)}
    assert message_id(key, Settings().mail_from) == message_id(row.idempotency_key, Settings().mail_from)


def test_a_message_that_cannot_be_built_fails_alone_and_the_others_go_out(engine: Engine, session: Session,
                                                                          smtp_server: Mailbox) -> None:
    enqueue_email(session, to="member@example.jp", subject="壊れたヘッダ", text="本文", idempotency_key="bad:header",
                  headers={"X-Broken": "one\r\nBcc: someone@example.jp"})
    session.commit()
    keys = _queue(session, 3, "after-bad")
    worker = Worker(_factory(engine), _settings(engine, outbox_max_attempts=2))
    worker.deliver(*worker.claim())
    assert len(smtp_server.wait_for(3)) == 3
    assert {message_id(k, Settings().mail_from) for k in keys} == {m["Message-ID"] for m in smtp_server.messages}
    bad = next(row for row in _rows(engine) if row.idempotency_key == "bad:header")
    assert (bad.status, bad.attempts, bad.claimed_by) == ("pending", 1, None)
    assert "ValueError" in (bad.last_error or "")
    _run_until(worker, lambda: next(r for r in _rows(engine) if r.idempotency_key == "bad:header").status == "failed")
    assert [row.attempts for row in _rows(engine) if row.idempotency_key == "bad:header"] == [2]
    assert len(smtp_server.settle()) == 3


def test_a_secret_body_is_blanked_when_given_up_and_kept_otherwise(engine: Engine, session: Session,
                                                                   smtp_server: Mailbox) -> None:
    smtp_server.stop()
    enqueue_email(session, to="member@example.jp", subject="サインインのリンク", text="https://x/signin?token=s3cret",
                  html="<a href='https://x/signin?token=s3cret'>", idempotency_key="secret", secret_body=True)
    _queue(session, 1, "plain")
    worker = Worker(_factory(engine), _settings(engine, outbox_max_attempts=2))
    worker.run_once()
    assert [row.body_text for row in _rows(engine)] == ["https://x/signin?token=s3cret", "本文 0"]  # retried later
    _run_until(worker, lambda: {row.status for row in _rows(engine)} == {"failed"})
    secret, plain = _rows(engine)
    assert (secret.body_text, secret.body_html, secret.subject) == ("", None, "サインインのリンク")
    assert (plain.body_text, plain.body_html) == ("本文 0", "<p>本文 0</p>")


@pytest.mark.parametrize("address", ["hanako@", "@example.jp", "hanako@@example.jp", "hanako@example",
                                     "hanako @example.jp", "hanako@example.jp>"])
def test_send_test_mail_refuses_a_malformed_address_and_says_what_to_fix(cli_env: dict[str, str], engine: Engine,
                                                                         address: str) -> None:
    refused = CliRunner().invoke(cli, ["send-test-mail", address])
    assert refused.exit_code == 1
    assert f"{address!r} is not a valid e-mail address" in refused.output
    assert "such as hanako@example.jp" in refused.output
    assert _rows(engine) == []
