"""Every response declares nosniff, and the pages have an icon, so browsers log no 404 for one."""

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.conftest import FUKUOKA_ORIGIN, World


def test_every_kind_of_response_says_nosniff(client: TestClient, world: World) -> None:
    responses = {
        "api": client.get("/v1/labs", headers=world.headers("lab")),
        "401": client.get("/v1/labs"),
        "404": client.get("/no/such/page"),
        "422": client.get("/v1/needs", params={"limit": 0}, headers=world.headers("lab")),
        "413": client.post("/v1/needs", content=b"x" * 2_000_000, headers=world.headers("member")),
        "openapi": client.get("/openapi.json"),
        "docs": client.get("/docs"),
        "health": client.get("/healthz"),
        "page": client.get("/signin"),
        "static": client.get("/static/app.css"),
        "preflight refused": client.options("/v1/labs", headers={"Origin": "https://elsewhere.example",
                                                                 "Access-Control-Request-Method": "GET"}),
        "preflight": client.options("/v1/labs", headers={"Origin": FUKUOKA_ORIGIN,
                                                         "Access-Control-Request-Method": "GET"}),
    }
    assert {name: r.headers.get("X-Content-Type-Options") for name, r in responses.items()} == dict.fromkeys(
        responses, "nosniff")
    assert [r.status_code for r in responses.values()] == [200, 401, 404, 422, 413, 200, 200, 200, 200, 200, 403,
                                                           204]


def test_a_server_error_says_nosniff_too(api_settings: Settings, world: World) -> None:
    app = create_app(api_settings, load_matching=False)

    @app.get("/v1/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/broken")
    assert response.status_code == 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_an_icon(client: TestClient) -> None:
    page = client.get("/signin").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    asked = client.get("/favicon.ico", follow_redirects=False)
    assert asked.status_code == 308
    assert asked.headers["location"] == "/static/favicon.svg"
    assert client.get("/favicon.ico").headers["content-type"] == "image/svg+xml"
