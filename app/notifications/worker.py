"""The outbox worker: sends due e-mails and webhooks, retries failures with backoff, and runs periodic jobs.

It runs inside `iotmatch serve` as a thread (IOTMATCH_WORKER=inline, the embedded default) or as its own
process, `iotmatch worker`; several may run at once on one database.

Each cycle a worker:

1. claims up to IOTMATCH_WORKER_BATCH_SIZE due messages in one short transaction: it writes its claim id and a
   lease (locked_until) on them. On PostgreSQL it picks the rows with `SELECT … FOR UPDATE SKIP LOCKED`, so two
   workers never claim the same row; on SQLite one UPDATE statement picks and claims them, atomic because SQLite
   runs one writer at a time.
   A claim whose lease ran out (its worker died) may be claimed again.
2. for each claimed message: takes it (counts the attempt and renews the lease, only while the claim is still
   its own), sends it, and at once marks it sent in a transaction of its own. A crash between the send and
   that mark is the only way a message goes out twice, and then only that one message, under the same
   Message-ID / delivery id (its idempotency key). A failure sets next_attempt_at with exponential backoff and
   jitter and keeps the error in last_error; after IOTMATCH_OUTBOX_MAX_ATTEMPTS the message is `failed`.
3. runs the periodic jobs that are due.

Periodic jobs (daily digests, reminders) are registered by the domains that own them, in a module
`app/<domain>/jobs.py`, which the worker imports at start:

    from app.notifications.worker import register_job

    def send_digests(session_factory: sessionmaker[Session]) -> None:
        with session_scope(session_factory) as session:
            ...  # find what is due, enqueue_email(...) with an idempotency key per recipient and day

    register_job("alerts.daily_digest", send_digests, every=300)

A job runs in every worker (every `every` seconds at most, each cycle when 0), possibly in two at the same
moment: it must be safe to repeat, which it is when every message it queues has an idempotency key naming
what it is about. An exception from a job is logged and the job runs again at its next turn.
"""

import importlib
import logging
import pkgutil
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.config import Settings
from app.db import as_utc, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.sender import DeliveryError, SmtpSender, WebhookSender

log = logging.getLogger("iotmatch.worker")

JobFunction = Callable[[sessionmaker[Session]], object]


@dataclass
class Job:
    """A periodic job: `fn(session_factory)`, run at most every `every` seconds by each worker."""

    name: str
    fn: JobFunction
    every: float = 0.0


_JOBS: dict[str, Job] = {}


def register_job(name: str, fn: JobFunction, *, every: float = 0.0) -> None:
    """Have every worker run `fn(session_factory)` each cycle, or at most every `every` seconds.

    Registering a name again replaces the job (a module imported twice registers once).
    """
    _JOBS[name] = Job(name, fn, every)


def unregister_job(name: str) -> None:
    """Remove a registered job (tests that registered their own)."""
    _JOBS.pop(name, None)


def registered_jobs() -> list[Job]:
    """The jobs registered so far, in registration order."""
    return list(_JOBS.values())


def load_job_modules() -> list[str]:
    """Import every `app.<domain>.jobs` module, so that their register_job calls run; returns their names."""
    import app

    loaded = []
    for info in pkgutil.iter_modules(app.__path__):
        if not info.ispkg:
            continue
        name = f"app.{info.name}.jobs"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            loaded.append(name)
    return loaded


def retry_delay(attempts: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after `attempts` failed ones: the base doubled per attempt, capped, and
    spread between half and all of it, so messages that failed together do not all come back together."""
    ceiling = min(settings.outbox_retry_max_seconds, settings.outbox_retry_seconds * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now))


def _redacted(message: OutboxMessage) -> dict[str, object]:
    # Written with the final status, so a secret body is never kept past its message's last attempt.
    return {"body_text": "", "body_html": None} if message.redact_after_send else {}


@dataclass
class Backlog:
    """What waits in the outbox: messages not yet sent, and how long the oldest has waited."""

    pending: int
    failed: int
    oldest_pending_seconds: float


def backlog(session: Session, now: datetime | None = None) -> Backlog:
    """Counts for /metrics and the operators."""
    now = now or utcnow()
    pending, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")).one()
    failed = session.scalar(select(func.count()).where(OutboxMessage.status == "failed")) or 0
    age = 0.0
    if oldest is not None:
        age = max(0.0, (now - as_utc(oldest)).total_seconds())
    return Backlog(pending=int(pending), failed=int(failed), oldest_pending_seconds=age)


class OutboxCollector(Collector):
    """The outbox backlog in /metrics, read from the app's database at scrape time."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        factory = getattr(self.state, "session_factory", None)
        if factory is None:
            return
        try:
            with factory() as session:
                state = backlog(session)
        except Exception:  # an unreachable database shows in /readyz; the metrics stay answerable
            log.warning("outbox backlog unavailable", exc_info=True)
            return
        for name, help_text, value in (
                ("iotmatch_outbox_pending", "e-mails and webhooks waiting to be sent", state.pending),
                ("iotmatch_outbox_oldest_pending_seconds", "how long the oldest unsent message has waited",
                 state.oldest_pending_seconds),
                ("iotmatch_outbox_failed", "messages given up after the maximum attempts", state.failed)):
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


@dataclass
class Worker:
    """Delivers the outbox of one database. run() loops until stop() is called; run_once() is one cycle."""

    session_factory: sessionmaker[Session]
    settings: Settings
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _stop: threading.Event = field(default_factory=threading.Event)
    _last_run: dict[str, float] = field(default_factory=dict)
    _smtp: SmtpSender | None = None
    _webhooks: WebhookSender | None = None

    # -- claiming and marking ------------------------------------------------------------------------------
    def claim(self) -> tuple[str, list[int]]:
        """Claim a batch of due messages for this worker; returns the claim's id and the messages' ids, oldest
        due first."""
        now = utcnow()
        claim_id = f"{self.name}:{uuid.uuid4().hex[:12]}"
        due = (select(OutboxMessage.id).where(_claimable(now))
               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(self.settings.worker_batch_size))
        lease = now + timedelta(seconds=self.settings.worker_lease_seconds)
        with self.session_factory() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # Lock the batch's rows, passing over those another worker's claim holds at this moment; a
                # LIMIT inside the UPDATE's own subquery may be evaluated more than once, so it is done apart.
                ids = list(session.scalars(due.with_for_update(skip_locked=True)))
                chosen = OutboxMessage.id.in_(ids)
            else:
                # SQLite: one statement, atomic (one writer at a time), so no other worker claims in between.
                chosen = OutboxMessage.id.in_(due.scalar_subquery())
            session.execute(update(OutboxMessage).where(chosen, _claimable(now))
                            .values(claimed_by=claim_id, locked_until=lease)
                            .execution_options(synchronize_session=False))
        with self.session_factory() as session:
            return claim_id, list(session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.claimed_by == claim_id)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)))

    def _take(self, message_id: int, claim_id: str) -> OutboxMessage | None:
        """Count an attempt and renew the lease, if the claim is still this worker's; the row, else None."""
        now = utcnow()
        with self.session_factory() as session, session.begin():
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == claim_id,
                       OutboxMessage.status == "pending")
                .values(attempts=OutboxMessage.attempts + 1,
                        locked_until=now + timedelta(seconds=self.settings.worker_lease_seconds))
                .execution_options(synchronize_session=False))
            taken = result.rowcount if isinstance(result, CursorResult) else 0
            return session.get(OutboxMessage, message_id) if taken else None

    def _release(self, claim_id: str, ids: list[int]) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == claim_id,
                                                        OutboxMessage.status == "pending")
                            .values(claimed_by=None, locked_until=None)
                            .execution_options(synchronize_session=False))

    def _mark_sent(self, message: OutboxMessage) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                        OutboxMessage.claimed_by == message.claimed_by)
                            .values(status="sent", sent_at=utcnow(), locked_until=None, last_error=None,
                                    **_redacted(message))
                            .execution_options(synchronize_session=False))

    def _mark_failed(self, message: OutboxMessage, error: DeliveryError) -> None:
        give_up = error.permanent or message.attempts >= self.settings.outbox_max_attempts
        values: dict[str, object] = {"last_error": str(error)[:2000], "locked_until": None, "claimed_by": None}
        if give_up:
            values |= {"status": "failed", **_redacted(message)}
        else:
            values["next_attempt_at"] = utcnow() + timedelta(seconds=retry_delay(message.attempts, self.settings))
        with self.session_factory() as session, session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                        OutboxMessage.claimed_by == message.claimed_by)
                            .values(**values).execution_options(synchronize_session=False))
        log.warning("outbox message %s (%s to %s) attempt %s %s: %s", message.id, message.kind,
                    message.recipient, message.attempts, "failed for good" if give_up else "will be retried",
                    error)

    # -- sending -------------------------------------------------------------------------------------------
    def _sender(self, kind: str) -> SmtpSender | WebhookSender:
        if kind == "email":
            self._smtp = self._smtp or SmtpSender(self.settings)
            return self._smtp
        self._webhooks = self._webhooks or WebhookSender(self.settings)
        return self._webhooks

    def deliver(self, claim_id: str, ids: list[int]) -> int:
        """Send the claimed messages one by one; returns how many went out."""
        sent = 0
        for position, message_id in enumerate(ids):
            if self._stop.is_set():
                self._release(claim_id, ids[position:])  # for another worker now, not after the lease
                break
            message = None
            try:
                message = self._take(message_id, claim_id)
                if message is None:
                    continue  # another worker took it over after this claim's lease ran out
                self._sender(message.kind).send(message)
                self._mark_sent(message)
                sent += 1
            except DeliveryError as exc:
                self._fail(message, exc)
            except Exception as exc:  # a fault of this one message (or of the database) must not hold up the others
                log.exception("outbox message %s: unexpected error", message_id)
                self._fail(message, DeliveryError(f"{type(exc).__name__}: {exc}"))
        return sent

    def _fail(self, message: OutboxMessage | None, error: DeliveryError) -> None:
        """Count the attempt as failed (retried with backoff, `failed` after the maximum); when even that cannot
        be written, the claim's lease runs out and the message is tried again."""
        if message is None:
            return
        try:
            self._mark_failed(message, error)
        except Exception:
            log.exception("outbox message %s: could not record the failed attempt", message.id)

    def run_jobs(self) -> None:
        """Run the registered jobs that are due."""
        for job in registered_jobs():
            now = time.monotonic()
            last = self._last_run.get(job.name)
            if last is not None and now - last < job.every:
                continue
            self._last_run[job.name] = now
            try:
                job.fn(self.session_factory)
            except Exception:  # one job's fault must not stop the mail, nor the other jobs
                log.exception("job %s failed", job.name)

    def run_once(self) -> int:
        """One cycle: claim and send one batch, then the due jobs; returns how many messages were claimed."""
        claim_id, ids = self.claim()
        if ids:
            self.deliver(claim_id, ids)
        self.run_jobs()
        return len(ids)

    def run(self) -> None:
        """Work until stop(): batch after batch while messages are due, else every IOTMATCH_WORKER_POLL_SECONDS.

        A database that cannot be reached is waited for, not a reason to stop.
        """
        log.info("outbox worker %s started", self.name)
        try:
            while not self._stop.is_set():
                try:
                    claimed = self.run_once()
                except Exception:
                    log.exception("outbox worker %s: cycle failed; trying again", self.name)
                    claimed = 0
                if claimed < self.settings.worker_batch_size:
                    self._stop.wait(self.settings.worker_poll_seconds)
        finally:
            self.close()
            log.info("outbox worker %s stopped", self.name)

    def stop(self) -> None:
        """Ask run() to return after the message it is sending."""
        self._stop.set()

    def close(self) -> None:
        """Close the SMTP connection and the HTTP client."""
        for sender in (self._smtp, self._webhooks):
            if sender is not None:
                sender.close()
        self._smtp = self._webhooks = None


class WorkerThread:
    """The worker inside `iotmatch serve`: a daemon thread started by the lifespan and stopped on shutdown."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.worker = Worker(session_factory, settings)
        self._thread = threading.Thread(target=self.worker.run, name="outbox-worker", daemon=True)

    def start(self) -> "WorkerThread":
        load_job_modules()
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the message being sent (waits up to `timeout` seconds for it)."""
        self.worker.stop()
        self._thread.join(timeout)
