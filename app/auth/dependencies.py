"""Who is calling: the key from the request, role checks, and the lab's default region."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.models import Person
from app.auth import service as auth_service
from app.auth.models import ApiKey
from app.db import utcnow
from app.dependencies import SessionDep
from app.errors import Forbidden, InvalidInput, Unauthorized
from app.messages import either, error, render
from app.ratelimit import Limiter, RateLimited, client_address
from app.roster.vocab import INDUSTRIES, PREFECTURES

ALL = "all"

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer iotm_…`")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: iotm_…`")


@dataclass(frozen=True)
class Principal:
    """The caller, as the routes need it: no ORM object, so it outlives the session.

    An API key's, or on the pages a person's: a person of a member acts as that member, staff as the secretariat.
    """

    key_id: int | None
    role: str
    organization_id: int | None = None
    organization: str | None = None  # external id, e.g. ORG-0001
    lab: str | None = None
    lab_prefecture: str | None = None
    lab_industries: tuple[str, ...] = ()
    person_id: int | None = None

    @classmethod
    def of(cls, key: ApiKey) -> "Principal":
        """The principal a key stands for."""
        return cls(key.id, key.role, key.organization_id, key.organization.external_id if key.organization else None,
                   key.lab_id, key.lab.prefecture if key.lab else None, tuple(key.lab.industries) if key.lab else ())

    @classmethod
    def of_person(cls, person: Person) -> "Principal":
        """The principal a signed-in person stands for: their member, or the secretariat."""
        return cls(None, person.role, person.organization_id,
                   person.organization.external_id if person.organization else None, person_id=person.id)

    @property
    def actor(self) -> str:
        """How changes made by this caller are recorded: person-<id>, or <role>-key-<id>."""
        return f"person-{self.person_id}" if self.person_id is not None else f"{self.role}-key-{self.key_id}"

    @property
    def is_secretariat(self) -> bool:
        """The secretariat may do everything."""
        return self.role == "secretariat"

    def owns(self, organization_id: int) -> bool:
        """May change this organization's data (and see its contact)."""
        return self.is_secretariat or (self.role == "member" and self.organization_id == organization_id)


def sent_token(request: Request, bearer: HTTPAuthorizationCredentials | None, header: str | None) -> str | None:
    """The key the request sent: `Authorization: Bearer …`, `X-API-Key`, or a bare `Authorization: iotm_…`.

    A key sent without the word Bearer is unmistakable by its prefix, so it is taken as meant; any other
    Authorization scheme is refused with how to send the key, not as if nothing had been sent.
    """
    if bearer is not None:
        return bearer.credentials
    if header:
        return header
    raw = request.headers.get("authorization", "").strip()
    if raw.startswith(f"{auth_service.TOKEN_PREFIX}_"):
        return raw
    if raw:
        raise error(Unauthorized, "auth.scheme")
    return None


def auth_throttled(request: Request) -> RateLimited | None:
    """The 429 to answer when the caller's address has failed to authenticate too often lately, else None.

    Checked before the key, so guessing keys stays slow even when a guess would be right.
    """
    failures: Limiter | None = getattr(request.app.state, "auth_failures", None)
    retry_after = failures.peek(client_address(request)) if failures else None
    if retry_after is None:
        return None
    params = {"per_minute": request.app.state.settings.auth_failures_per_minute, "retry_after": retry_after}
    return RateLimited(render("auth.throttled", "en", params), retry_after=retry_after, code="auth.throttled",
                       params=params)


def count_auth_failure(request: Request) -> None:
    """Note a failed authentication from the caller's address."""
    failures: Limiter | None = getattr(request.app.state, "auth_failures", None)
    if failures is not None:
        failures.hit(client_address(request))


def _authenticate(request: Request, db_session: SessionDep, bearer: HTTPAuthorizationCredentials | None,
                  header: str | None) -> ApiKey:
    throttled = auth_throttled(request)
    if throttled is not None:
        raise throttled
    try:
        return auth_service.authenticate(db_session=db_session, token=sent_token(request, bearer, header))
    except Unauthorized as exc:
        if exc.code != "auth.missing":  # sending no key is no guess
            count_auth_failure(request)
        raise


def current_key(request: Request, db_session: SessionDep,
                bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
                header: str | None = Security(header_scheme)) -> Principal:
    """The caller's live key, from `Authorization: Bearer` or `X-API-Key`; 401 otherwise, 429 over its rate or
    after too many failures from the caller's address."""
    key = _authenticate(request, db_session, bearer, header)
    principal = Principal.of(key)
    # Seen by the CORS middleware (a lab's origins only for its own key) and the access log.
    request.state.principal = principal
    request.state.actor = principal.actor
    limiter: Limiter | None = getattr(request.app.state, "rate_limiter", None)
    retry_after = limiter.hit(key.id) if limiter else None
    if retry_after is not None:
        per_minute = request.app.state.settings.rate_limit_per_minute
        raise RateLimited(render("rate.limited", "en", {"per_minute": per_minute, "retry_after": retry_after}),
                          retry_after=retry_after, code="rate.limited",
                          params={"per_minute": per_minute, "retry_after": retry_after})
    now = utcnow()
    if auth_service.needs_touch(key, now):
        # Committed at once, so the use is recorded even when the route then fails. The request's own session
        # has only read the key so far; a second session would hold a second connection, and enough concurrent
        # requests each holding one while waiting for another would drain the pool.
        auth_service.touch_key(db_session=db_session, key_id=key.id, now=now)
        db_session.commit()
    return principal


CurrentKey = Annotated[Principal, Depends(current_key)]


def require_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only keys of these roles; 403 names what was refused."""

    async def check(request: Request, key: CurrentKey) -> Principal:
        if key.role not in roles:
            raise error(Forbidden, "forbidden.role", role=key.role, action=f"{request.method} {request.url.path}",
                        allowed=either(roles))
        return key

    return check


require_secretariat = require_role("secretariat")
SecretariatKey = Annotated[Principal, Depends(require_secretariat)]
WriterKey = Annotated[Principal, Depends(require_role("secretariat", "member"))]


def ensure_owner(key: Principal, organization_id: int, target: str) -> None:
    """403 unless the key may change this organization's data."""
    if not key.owns(organization_id):
        raise error(Forbidden, "forbidden.other_organization", own=key.organization or key.role, target=target)


# The checks below touch no database: `async` keeps them on the event loop instead of a trip through the
# thread pool each (FastAPI runs a plain `def` dependency in a worker thread).
async def scoped_prefecture(key: CurrentKey, prefecture: Annotated[str | None, Query(
        max_length=8, description="only members in this prefecture (kanji, e.g. 福岡県); 'all' for every one. "
                                  "Lab keys default to the lab's prefecture.")] = None) -> str | None:
    """The prefecture filter to apply: the one asked for, else the lab's own for lab keys; None means all."""
    if prefecture is None:
        return key.lab_prefecture if key.role == "lab" else None
    if prefecture == ALL:
        return None
    if prefecture not in PREFECTURES:
        raise error(InvalidInput, "invalid.prefecture", field="prefecture", value=prefecture)
    return prefecture


ScopedPrefecture = Annotated[str | None, Depends(scoped_prefecture)]


async def scoped_industries(key: CurrentKey, industry: Annotated[str | None, Query(
        pattern=f"^([{''.join(INDUSTRIES)}]|{ALL})$",
        description="only members of this JSIC division (A..T); 'all' for every one. "
                    "Lab keys default to the lab's focus industries.")] = None) -> tuple[str, ...] | None:
    """The JSIC divisions to keep: the one asked for, else the lab's focus industries for lab keys; None means all."""
    if industry is None:
        return (key.lab_industries or None) if key.role == "lab" else None
    return None if industry == ALL else (industry,)


ScopedIndustries = Annotated[tuple[str, ...] | None, Depends(scoped_industries)]
