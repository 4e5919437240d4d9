"""Service settings, read from IOTMATCH_* environment variables."""

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment can change without touching code."""

    model_config = SettingsConfigDict(env_prefix="IOTMATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'iotmatch.db'}",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var", description="Index snapshots, model cache.")

    embedding_model: str = Field(
        default="use-multilingual-v3",
        description="'use-multilingual-v3', 'all-minilm-l6-v2' or a local sentence-transformers directory.",
    )
    embedding_query_prefix: str = Field(default="", description="Text put before every query (some models want one).")
    embedding_document_prefix: str = Field(default="", description="Text put before every indexed need or seed.")
    embedding_second_model: str = Field(
        default="off",
        description="A second encoder for needs and seeds, whose vectors join the first's (free-text queries use "
                    "the first only): 'multilingual-e5-small' (bundled, 4-bit), a local sentence-transformers "
                    "directory, or 'off' (see docs/matching.md for what it adds).")
    embedding_second_share: float = Field(
        default=0.7, gt=0, lt=1, description="The second encoder's share of the documents' cosine.")
    embedding_threads: int = Field(default=2, description="CPU threads the encoder, numpy and FAISS may use per "
                                   "process; unset, `iotmatch serve --workers N` gives each worker's numpy and "
                                   "encoder cores / N.")

    vocabulary_path: Path | None = Field(default=None, description="Domain vocabulary YAML; the shipped one if unset.")

    hnsw_threshold: int = Field(default=20000, description="Collections larger than this use HNSW, else exact.")
    index_mapped: bool = Field(default=True, description="Map an HNSW index snapshot's vectors from its files, "
                               "so that the workers share one copy (exact indexes are always read); false reads a "
                               "copy into each process (for a data folder on a network share that other machines "
                               "write to).")
    dense_candidates: int = Field(default=400, ge=1, description=(
        "Above the HNSW threshold: how many nearest documents by meaning a match scores in full."))
    channel_candidates: int = Field(default=300, ge=1, description=(
        "Above the HNSW threshold: how many of the best documents by shared words, and by shared concepts, a "
        "match scores in full beside the nearest by meaning."))
    index_poll_seconds: float = Field(
        default=0.5, ge=0, description="How often match requests and program suggestions look for changes made by "
        "other processes (another worker or server, a command-line import); changes made through this process are "
        "seen at once. 0 = every request.")

    # Fusion weights of the ranking channels (see docs/matching.md); defaults chosen on two labelled
    # rosters written independently, so neither alone decides them.
    weight_dense: float = Field(default=0.75, description="Weight of the sentence-embedding similarity.")
    weight_lexical: float = Field(default=0.3, description="Weight of the Sudachi BM25 score.")
    weight_vocabulary: float = Field(default=3.0, description="Weight of the domain-vocabulary concept overlap.")
    weight_structure: float = Field(default=2.8, description="Weight of industry, role and prefecture fit.")
    weight_support_mismatch: float = Field(
        default=1.0, description="Penalty for a support-only offer to a need that asks for no support.")
    dense_temperature: float = Field(
        default=2.0, description="The dense z-score z counts as exp(z/T) - 1 (sharpens the top); 0 = plain z.")
    max_per_organization: int = Field(
        default=2, description="Matches from one organization before the others get their turn; 0 = no cap.")
    concept_floor: float = Field(
        default=10.0, description="The vocabulary score divides by the query's concept weight, but by no less than "
                                 "this (one or two concepts found must not decide the ranking alone).")
    weight_lexical_across_languages: float = Field(
        default=0.0, description="Share of the lexical weight kept between texts in different languages "
                                 "(Japanese and English); 1 between texts in one language.")
    feedback_docs: int = Field(
        default=1, description="Pseudo-relevance feedback: the query vector moves toward the vectors of this many "
                               "top documents of a first ranking; 0 = off.")
    feedback_weight: float = Field(default=0.5, description="How far the query vector moves toward them.")
    concept_threshold: float = Field(
        default=0.55, description="Cosine a sentence must reach to one of a concept's example phrasings for the "
                                 "concept to be found by meaning; calibrated per model (bench/concept_threshold.py); "
                                 "1 or more = terms only.")

    session_secret: str | None = Field(
        default=None, description="Signs the web pages' session cookies and the links of alert e-mails; unset, a "
        "random one kept in `IOTMATCH_DATA_DIR/secret.key` (made once, shared by the processes using that folder).")
    sign_in_link_minutes: int = Field(
        default=15, ge=1, description="How long an e-mailed sign-in link works (it works once).")
    sign_in_links_per_minute: int = Field(
        default=1, ge=0, description="Sign-in links per minute one e-mail address may ask for, after a first few "
        "(`IOTMATCH_SIGN_IN_LINK_BURST`); past them the page answers 429 with Retry-After. 0 = no limit.")
    sign_in_link_burst: int = Field(default=3, ge=1, description="Sign-in links an address may ask for at once.")
    sign_in_requests_per_minute: int = Field(
        default=10, ge=0, description="Sign-in links per minute one client address may ask for, whatever the "
        "e-mail addresses; past them 429 with Retry-After. 0 = no limit.")
    invitations_per_hour: int = Field(
        default=10, ge=0, description="Invitations per hour one person may send, after a first few "
        "(`IOTMATCH_INVITATION_BURST`); past them the account page answers 429 with Retry-After. 0 = no limit.")
    invitation_burst: int = Field(default=5, ge=1, description="Invitations a person may send at once.")
    sign_in_response_seconds: float = Field(
        default=0.4, ge=0, description="The sign-in form answers no sooner than this after it was sent, whether "
        "the address is registered or not, so the time of the answer tells nothing.")
    max_body_bytes: int = Field(default=1_048_576, description="Larger request bodies are refused with 413.")
    min_free_disk_mb: int = Field(
        default=100, ge=0, description="/readyz answers 503 when the data or SQLite folder has less free space.")
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request body that stops arriving for this long is answered 408.")
    cors_refresh_seconds: float = Field(default=10.0, description="How long the labs' allowed origins are cached.")
    introduction_nudge_days: int = Field(
        default=7, ge=0, description="An introduction request unanswered this many days is nudged: the member "
        "asked gets a reminder, at most once per this many days (by the worker's job, or the secretariat's "
        "button). 0 = no reminders from the job.")
    rate_limit_per_minute: int = Field(default=600, ge=0, description="Requests per minute per API key; 0 = no limit.")
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests a key may make at once before the limit.")
    auth_failures_per_minute: int = Field(
        default=10, ge=0, description="Failed authentications (an unknown or revoked API key, a failed sign-in) "
        "per minute per client address; past them every attempt from that address gets 429 with Retry-After "
        "until the count drops. 0 = no limit.")
    anonymous_searches_per_minute: int = Field(
        default=12, ge=0, description="Searches per minute per client address by visitors without a key (the "
        "search page, the lab embed); each runs the language model. Over it: 429 with Retry-After. 0 = no limit.")
    anonymous_search_burst: int = Field(
        default=6, ge=1, description="Searches a visitor without a key may make at once before that limit.")

    rate_limit_store: Literal["auto", "memory", "database", "redis"] = Field(
        default="auto", description="Where rate limits count: 'memory' (per process), 'database' (shared by the "
        "workers and servers of one database), 'redis' (IOTMATCH_REDIS_URL). 'auto': redis when a URL is set, "
        "else the database when there are several workers or the database is PostgreSQL, else memory.")
    redis_url: str | None = Field(
        default=None, description="Redis for the shared rate limits, e.g. redis://127.0.0.1:6379/0; unset, none.")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="The service's address as members reach it (behind the "
        "proxy, e.g. https://match.example.jp): the links in e-mails start with it.")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server the e-mails go out through.")
    smtp_port: int = Field(
        default=8025, description="Its port: 587 with STARTTLS, 465 with SSL; 8025 is `iotmatch mailbox`, the "
        "local debugging server for development.")
    smtp_username: str = Field(default="", description="SMTP user name; empty = no authentication.")
    smtp_password: str = Field(default="", description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_ssl: bool = Field(default=False, description="Connect to the SMTP server over TLS from the start.")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, description="SMTP connection and command timeout.")
    mail_from: str = Field(
        default="iotmatch <noreply@iotmatch.localhost>", description="The From: of every e-mail; its domain also "
        "ends the Message-IDs.")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="How long a webhook POST may take.")
    worker: Literal["inline", "off"] = Field(
        default="inline", description="'inline': `iotmatch serve` sends the outbox's e-mails and webhooks from a "
        "thread of its own; 'off': only `iotmatch worker` processes do.")
    worker_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often an idle worker looks for due messages and runs its jobs.")
    worker_batch_size: int = Field(default=10, ge=1, description="Messages a worker claims at a time.")
    worker_lease_seconds: float = Field(
        default=120.0, gt=0, description="A claimed message is another worker's to take after this long (a "
        "worker that died while sending).")
    outbox_max_attempts: int = Field(
        default=10, ge=1, description="Attempts before a message is marked failed and no longer retried.")
    outbox_retry_seconds: float = Field(
        default=30.0, gt=0, description="Wait before the first retry; it doubles with each attempt (with jitter).")
    outbox_retry_max_seconds: float = Field(default=3600.0, gt=0, description="The longest wait between attempts.")

    host: str = Field(default="127.0.0.1", description="Address `iotmatch serve` binds to.")
    port: int = Field(default=8000, description="Port `iotmatch serve` listens on.")
    workers: int = Field(default=1, ge=1, description="Worker processes of `iotmatch serve` (the server loads the "
                         "model and the index once and forks them; changes made through one are seen by all within "
                         "IOTMATCH_INDEX_POLL_SECONDS).")
    log_level: str = Field(default="info", description="uvicorn log level: debug, info, warning, error.")

    alert_top_n: int = Field(
        default=5, ge=1, le=100, description="A new or edited seed alerts a need's member when it ranks among the "
        "need's first this many seeds (likewise for a need and a seed's member, and for saved searches).")
    alert_min_score: float = Field(
        default=4.5, description="…and scores at least this (the fused score of the matches API). On the dev set "
        "the relevant pairs in a need's top 5 mostly score above 4.5, the others mostly below (docs/alerts.md).")
    alert_min_search_score: float = Field(
        default=3.0, description="The same for saved searches: on the dev set, with need titles as searches, 3.0 "
        "keeps as good a share of relevant results as 4.5 does for needs (a text alone has no member to fit).")
    alert_digest_hour: int = Field(
        default=8, ge=0, le=23, description="Hour (Japan time) from which each day's digest e-mail goes out.")
    alert_poll_seconds: float = Field(
        default=2.0, ge=0, description="How often `iotmatch serve` looks for changed needs and seeds to alert about; "
        "0 = never (the alerts wait, nothing is lost). Digests are the worker's job and do not depend on it.")
    alert_batch_size: int = Field(default=50, ge=1, description="Changed needs and seeds ranked in one pass.")
    alert_cpu_share: float = Field(
        default=0.25, gt=0, le=1, description="The share of the time `iotmatch serve` spends on a backlog of alert "
        "checks (after a roster import, say): after a batch that took t seconds it rests t·(1 − share)/share, so "
        "members' requests keep the cores. 1 = no rest.")


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()


SECRET_FILE = "secret.key"


def signing_secret(settings: Settings) -> bytes:
    """The key that signs session cookies, CSRF tokens and e-mailed links: IOTMATCH_SESSION_SECRET, else the one
    kept in the data folder, so every process sharing the folder (server workers, `iotmatch worker`) signs alike."""
    if settings.session_secret:
        return settings.session_secret.encode("utf-8")
    return _stored_secret(Path(settings.data_dir).resolve())


@lru_cache
def _stored_secret(data_dir: Path) -> bytes:
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: a link never replaces an existing file, so when processes start
        # together one secret wins and no process ever reads a half-written file.
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret-")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no usable secret: delete it (a new one is made) or set "
                           "IOTMATCH_SESSION_SECRET")
    return secret.encode("ascii")


def _shown_default(field: FieldInfo) -> str:
    """The default as the docs show it: factories evaluated, the working directory written as '.'."""
    value = field.get_default(call_default_factory=True)
    if value is None or value == "":
        return "unset" if value is None else "empty"
    return f"`{str(value).replace(str(Path.cwd()), '.')}`"


def settings_table() -> str:
    """The README's configuration table: environment variable, default and meaning of every setting."""
    prefix = Settings.model_config.get("env_prefix", "")
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", r"\|")
        rows.append(f"| `{prefix}{name.upper()}` | {_shown_default(field)} | {meaning} |")
    return "\n".join(rows)
