"""Operations: a request id on every request and response, JSON logs carrying it, Prometheus metrics."""

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's own id is kept (so a lab site can trace a request end to end) if it is short and plain.
CALLER_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
UNMATCHED_ROUTE = "unmatched"  # unknown paths share one label, so metrics cannot grow without bound
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOG_FIELDS = ("method", "path", "route", "status", "duration_ms", "key_id", "role")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("iotmatch.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id and the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            data["request_id"] = rid
        data.update({field: getattr(record, field) for field in LOG_FIELDS if hasattr(record, field)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(level: str = "info") -> None:
    """Send every log record (uvicorn's too) to stderr as JSON lines; calling it again changes only the level."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)


class _EngineCollector(Collector):
    """Index sizes read from the app's matching engine at scrape time."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        engine = getattr(self.state, "matching", None)
        loaded = GaugeMetricFamily("iotmatch_index_loaded", "1 when the matching index is loaded")
        loaded.add_metric([], 0 if engine is None else 1)
        yield loaded
        size = GaugeMetricFamily("iotmatch_index_documents", "documents in the matching index", labels=["kind"])
        for kind, index in (getattr(engine, "vectors", None) or {}).items():
            size.add_metric([kind], len(index))
        yield size
        stats = getattr(engine, "embedding_cache", None)
        for outcome, help_text in (("hits", "texts whose vectors were read from the embedding cache"),
                                   ("misses", "texts the model had to encode (not in the embedding cache)")):
            counter = CounterMetricFamily(f"iotmatch_embedding_cache_{outcome}", help_text)
            counter.add_metric([], 0 if stats is None else getattr(stats, outcome))
            yield counter


class Metrics:
    """The app's own registry (one per app, so several apps in one process do not clash)."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("iotmatch_http_requests", "HTTP requests by method, route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("iotmatch_http_request_duration_seconds", "request latency by route template",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(_EngineCollector(state))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """The matched route's path template (/v1/needs/{need_id}), never the raw path with its ids."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Gives each request an id (the caller's X-Request-ID if plain, else a new one), returns it in the
    response header, and records the request in the metrics and the access log."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER.lower(), "")
        rid = incoming if CALLER_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: the outermost error handler logs a crash after this returns, with the same id.
        request_id.set(rid)
        status = 500
        started = perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, rid, status, perf_counter() - started)

    def _record(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        route = route_template(scope)
        self.metrics.observe(scope["method"], route, status, seconds)
        principal = (scope.get("state") or {}).get("principal")
        access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={
            "request_id": rid, "method": scope["method"], "path": scope["path"], "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 1), "key_id": getattr(principal, "key_id", None),
            "role": getattr(principal, "role", None)})
