"""A typed Python client for the iotmatch API on httpx, for lab sites and members' own tools.

    with Client("https://iotmatch.example.jp", api_key) as api:
        for match in api.needs.matches("N-0001", limit=10).matches:
            print(match.seed, match.score, match.reason_text)

    async with AsyncClient("https://iotmatch.example.jp", api_key) as api:
        page = await api.seeds.list(q="センサー")

Responses are the API's own pydantic models; every error is an ApiError carrying the problem details.
"""

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, Self, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from app.feedback.schemas import FeedbackRead, FeedbackSummary
from app.labs.schemas import LabList, LabRead
from app.matches.schemas import MatchList, PartnerList
from app.organizations.schemas import OrganizationRead
from app.postings.schemas import NeedRead, SeedRead
from app.schemas import Page

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)
DEFAULT_TIMEOUT = 30.0  # matching a long need text can take a few seconds on a busy server
FeedbackStatus = Literal["interested", "not_relevant", "contacted", "met", "deal"]


class HttpResponse(Protocol):
    """What the client reads of an answer (httpx's Response, or a test client's)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    @property
    def reason_phrase(self) -> str: ...
    def json(self) -> Any: ...


class SyncHttp(Protocol):
    """A synchronous HTTP client: httpx.Client, or Starlette's TestClient."""

    def request(self, method: str, url: str, *, params: Any = None, json: Any = None,
                headers: Any = None) -> HttpResponse: ...
    def close(self) -> None: ...


class AsyncHttp(Protocol):
    """An asynchronous HTTP client: httpx.AsyncClient."""

    def request(self, method: str, url: str, *, params: Any = None, json: Any = None,
                headers: Any = None) -> Awaitable[HttpResponse]: ...
    async def aclose(self) -> None: ...


class ApiError(Exception):
    """An error answer: the RFC 9457 problem details, the status and the request id to quote to the secretariat."""

    def __init__(self, status: int, problem: dict[str, Any], request_id: str | None) -> None:
        self.status = status
        self.problem = problem
        self.title: str = problem.get("title", "")
        self.detail: str = problem.get("detail", "")
        self.field: str | None = problem.get("field")
        self.request_id = request_id
        super().__init__(f"{status} {self.title}: {self.detail}" + (f" (request {request_id})" if request_id else ""))


class RateLimitError(ApiError):
    """429: wait `retry_after` seconds before the next request with this key."""

    def __init__(self, status: int, problem: dict[str, Any], request_id: str | None, retry_after: int) -> None:
        super().__init__(status, problem, request_id)
        self.retry_after = retry_after


class ListFilters(TypedDict, total=False):
    """Filters of the list endpoints; lab keys default to their lab's prefecture and industries ('all' lifts it)."""

    prefecture: str
    role: str
    industry: str
    organization: str
    q: str
    limit: int
    offset: int


class MatchFilters(TypedDict, total=False):
    """Filters of the matching endpoints."""

    prefecture: str
    role: str
    industry: str
    include_seen: bool


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the model its answer is read into (None: no body)."""

    method: str
    path: str
    model: type[T] | None
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None

    def request(self) -> dict[str, Any]:
        """httpx.request keyword arguments."""
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in self.params.items() if v is not None}
        return {"method": self.method, "url": self.path, "params": params, "json": self.json}


def _read(call: Call[T], response: HttpResponse) -> T:
    """The answer as the call's model, or the error it is."""
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.reason_phrase, "detail": response.text[:500]}
        request_id = response.headers.get("X-Request-ID")
        if response.status_code == 429:
            retry_after = int(response.headers.get("Retry-After", "1"))
            raise RateLimitError(response.status_code, problem, request_id, retry_after)
        raise ApiError(response.status_code, problem, request_id)
    if call.model is None:
        return None  # type: ignore[return-value]
    return call.model.model_validate(response.json())  # type: ignore[attr-defined]


def _path(*segments: str) -> str:
    """A URL path with each segment percent-encoded, so an id cannot add a segment, a query or a fragment.

    The server decodes %2F before routing, so an id that is '/'-separated, empty, '.' or '..' would still reach
    another resource; the API and the importer never give out such ids, so it is a 404 without a request.
    """
    for segment in segments:
        if "/" in segment or segment in ("", ".", ".."):
            raise ApiError(404, {"type": "/problems/not-found", "title": "Not found", "status": 404,
                                 "detail": f"No record has the id {segment!r}: ids hold no '/' and are not empty, "
                                           "'.' or '..'"}, None)
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def _match_params(limit: int, programs: bool, filters: MatchFilters) -> dict[str, Any]:
    # Only sent when off, so the server's default applies otherwise.
    return {"limit": limit, **filters} | ({} if programs else {"programs": False})


class _Postings(Generic[R]):
    """The calls of /v1/needs or /v1/seeds."""

    def __init__(self, kind: Literal["needs", "seeds"], model: type[R]) -> None:
        self.kind, self.model = kind, model

    def _list(self, filters: ListFilters) -> Call[Page[R]]:
        return Call("GET", f"/v1/{self.kind}", Page[self.model], dict(filters))  # type: ignore[name-defined]

    def _get(self, posting_id: str) -> Call[R]:
        return Call("GET", _path("v1", self.kind, posting_id), self.model)

    def _matches(self, posting_id: str, limit: int, programs: bool, filters: MatchFilters) -> Call[MatchList]:
        return Call("GET", _path("v1", self.kind, posting_id, "matches"), MatchList,
                    _match_params(limit, programs, filters))

    def _create(self, fields: dict[str, Any]) -> Call[R]:
        return Call("POST", f"/v1/{self.kind}", self.model, json=fields)

    def _update(self, posting_id: str, fields: dict[str, Any]) -> Call[R]:
        return Call("PATCH", _path("v1", self.kind, posting_id), self.model, json=fields)

    def _delete(self, posting_id: str) -> Call[None]:
        return Call("DELETE", _path("v1", self.kind, posting_id), None)


def _organizations_list(filters: ListFilters) -> Call[Page[OrganizationRead]]:
    return Call("GET", "/v1/organizations", Page[OrganizationRead], dict(filters))


def _partners(org_id: str, limit: int, filters: MatchFilters) -> Call[PartnerList]:
    return Call("GET", _path("v1", "organizations", org_id, "partners"), PartnerList, {"limit": limit, **filters})


def _search(q: str, target: str, limit: int, filters: MatchFilters) -> Call[MatchList]:
    return Call("GET", "/v1/search", MatchList, {"q": q, "target": target, "limit": limit, **filters})


def _feedback(need: str, seed: str, status: FeedbackStatus, note: str | None) -> Call[FeedbackRead]:
    return Call("POST", "/v1/feedback", FeedbackRead, json={"need": need, "seed": seed, "status": status,
                                                             "note": note})


def _headers(api_key: str, language: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} | ({"Accept-Language": language} if language else {})


# --- synchronous ---------------------------------------------------------------------------------


class Postings(_Postings[R]):
    """Needs or seeds: list, get, matches, create, update, delete."""

    def __init__(self, client: "Client", kind: Literal["needs", "seeds"], model: type[R]) -> None:
        super().__init__(kind, model)
        self._client = client

    def list(self, **filters: Unpack[ListFilters]) -> Page[R]:
        """One page of needs or seeds."""
        return self._client.send(self._list(filters))

    def get(self, posting_id: str) -> R:
        """One need or seed."""
        return self._client.send(self._get(posting_id))

    def matches(self, posting_id: str, *, limit: int = 10, programs: bool = True,
                **filters: Unpack[MatchFilters]) -> MatchList:
        """Seeds for a need, or needs for a seed, best first; programs=False skips the support-program suggestions."""
        return self._client.send(self._matches(posting_id, limit, programs, filters))

    def create(self, **fields: Any) -> R:
        """Post a new need or seed (members: for their own organization)."""
        return self._client.send(self._create(fields))

    def update(self, posting_id: str, **fields: Any) -> R:
        """Change the given fields."""
        return self._client.send(self._update(posting_id, fields))

    def delete(self, posting_id: str) -> None:
        """Remove it."""
        self._client.send(self._delete(posting_id))


class Organizations:
    """The member directory."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def list(self, **filters: Unpack[ListFilters]) -> Page[OrganizationRead]:
        """One page of members."""
        return self._client.send(_organizations_list(filters))

    def get(self, org_id: str) -> OrganizationRead:
        """One member (with its contact only for the secretariat and the member itself)."""
        return self._client.send(Call("GET", _path("v1", "organizations", org_id), OrganizationRead))

    def partners(self, org_id: str, *, limit: int = 10, **filters: Unpack[MatchFilters]) -> PartnerList:
        """The members that fit best as partners."""
        return self._client.send(_partners(org_id, limit, filters))


class Labs:
    """The regional IoT labs."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def list(self) -> list[LabRead]:
        """Every lab."""
        return self._client.send(Call("GET", "/v1/labs", LabList)).items

    def get(self, lab_id: str) -> LabRead:
        """One lab."""
        return self._client.send(Call("GET", _path("v1", "labs", lab_id), LabRead))


class Feedback:
    """What came of a suggested pair."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def give(self, need: str, seed: str, status: FeedbackStatus, note: str | None = None) -> FeedbackRead:
        """Record feedback on a pair."""
        return self._client.send(_feedback(need, seed, status, note))

    def summary(self) -> FeedbackSummary:
        """Counts per seed and need (secretariat keys)."""
        return self._client.send(Call("GET", "/v1/feedback/summary", FeedbackSummary))


class Client:
    """The API over a synchronous httpx client; pass `http` to use your own (proxies, retries, tests)."""

    def __init__(self, base_url: str, api_key: str, *, language: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, http: SyncHttp | None = None) -> None:
        self._http: SyncHttp = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._owns_http = http is None
        self._headers = _headers(api_key, language)
        self.needs: Postings[NeedRead] = Postings(self, "needs", NeedRead)
        self.seeds: Postings[SeedRead] = Postings(self, "seeds", SeedRead)
        self.organizations = Organizations(self)
        self.labs = Labs(self)
        self.feedback = Feedback(self)

    def send(self, call: Call[T]) -> T:
        """Make the call; raises ApiError on an error answer."""
        return _read(call, self._http.request(**call.request(), headers=self._headers))

    def search(self, q: str, *, target: Literal["seeds", "needs"] = "seeds", limit: int = 10,
               **filters: Unpack[MatchFilters]) -> MatchList:
        """Free-text search over seeds or needs."""
        return self.send(_search(q, target, limit, filters))

    def close(self) -> None:
        """Close the connection pool (only if the client made it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# --- asynchronous --------------------------------------------------------------------------------


class AsyncPostings(_Postings[R]):
    """Needs or seeds: list, get, matches, create, update, delete."""

    def __init__(self, client: "AsyncClient", kind: Literal["needs", "seeds"], model: type[R]) -> None:
        super().__init__(kind, model)
        self._client = client

    async def list(self, **filters: Unpack[ListFilters]) -> Page[R]:
        """One page of needs or seeds."""
        return await self._client.send(self._list(filters))

    async def get(self, posting_id: str) -> R:
        """One need or seed."""
        return await self._client.send(self._get(posting_id))

    async def matches(self, posting_id: str, *, limit: int = 10, programs: bool = True,
                      **filters: Unpack[MatchFilters]) -> MatchList:
        """Seeds for a need, or needs for a seed, best first; programs=False skips the support-program suggestions."""
        return await self._client.send(self._matches(posting_id, limit, programs, filters))

    async def create(self, **fields: Any) -> R:
        """Post a new need or seed (members: for their own organization)."""
        return await self._client.send(self._create(fields))

    async def update(self, posting_id: str, **fields: Any) -> R:
        """Change the given fields."""
        return await self._client.send(self._update(posting_id, fields))

    async def delete(self, posting_id: str) -> None:
        """Remove it."""
        await self._client.send(self._delete(posting_id))


class AsyncOrganizations:
    """The member directory."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def list(self, **filters: Unpack[ListFilters]) -> Page[OrganizationRead]:
        """One page of members."""
        return await self._client.send(_organizations_list(filters))

    async def get(self, org_id: str) -> OrganizationRead:
        """One member."""
        return await self._client.send(Call("GET", _path("v1", "organizations", org_id), OrganizationRead))

    async def partners(self, org_id: str, *, limit: int = 10, **filters: Unpack[MatchFilters]) -> PartnerList:
        """The members that fit best as partners."""
        return await self._client.send(_partners(org_id, limit, filters))


class AsyncLabs:
    """The regional IoT labs."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def list(self) -> list[LabRead]:
        """Every lab."""
        return (await self._client.send(Call("GET", "/v1/labs", LabList))).items

    async def get(self, lab_id: str) -> LabRead:
        """One lab."""
        return await self._client.send(Call("GET", _path("v1", "labs", lab_id), LabRead))


class AsyncFeedback:
    """What came of a suggested pair."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def give(self, need: str, seed: str, status: FeedbackStatus, note: str | None = None) -> FeedbackRead:
        """Record feedback on a pair."""
        return await self._client.send(_feedback(need, seed, status, note))

    async def summary(self) -> FeedbackSummary:
        """Counts per seed and need (secretariat keys)."""
        return await self._client.send(Call("GET", "/v1/feedback/summary", FeedbackSummary))


class AsyncClient:
    """The API over an asynchronous httpx client; pass `http` to use your own."""

    def __init__(self, base_url: str, api_key: str, *, language: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, http: AsyncHttp | None = None) -> None:
        self._http: AsyncHttp = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._owns_http = http is None
        self._headers = _headers(api_key, language)
        self.needs: AsyncPostings[NeedRead] = AsyncPostings(self, "needs", NeedRead)
        self.seeds: AsyncPostings[SeedRead] = AsyncPostings(self, "seeds", SeedRead)
        self.organizations = AsyncOrganizations(self)
        self.labs = AsyncLabs(self)
        self.feedback = AsyncFeedback(self)

    async def send(self, call: Call[T]) -> T:
        """Make the call; raises ApiError on an error answer."""
        return _read(call, await self._http.request(**call.request(), headers=self._headers))

    async def search(self, q: str, *, target: Literal["seeds", "needs"] = "seeds", limit: int = 10,
                     **filters: Unpack[MatchFilters]) -> MatchList:
        """Free-text search over seeds or needs."""
        return await self.send(_search(q, target, limit, filters))

    async def aclose(self) -> None:
        """Close the connection pool (only if the client made it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
