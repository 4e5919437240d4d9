"""Searches by visitors without a key run the model: limited per address, so they cannot crowd out keyed users."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.web.conftest import Community
from tests.web.test_pages import sign_in

QUERY = "鶏舎の換気が止まったら知らせてほしい"


@pytest.fixture
def limited_app(community: Community) -> FastAPI:
    """The community's app with its engine, but 3 anonymous searches at once and 6 a minute per address."""
    with TestClient(community.app):  # the lifespan hands the app its engine
        engine = community.app.state.matching
    settings = community.settings.model_copy(update={"anonymous_searches_per_minute": 6,
                                                     "anonymous_search_burst": 3})
    return create_app(settings, matching=engine)


def test_anonymous_searches_are_limited_per_address(limited_app: FastAPI) -> None:
    with TestClient(limited_app, client=("203.0.113.9", 40000)) as crowd, \
            TestClient(limited_app, client=("198.51.100.4", 40000)) as neighbour:
        pages = [crowd.get("/", params={"q": QUERY}) for _ in range(3)]
        assert [p.status_code for p in pages] == [200] * 3
        refused = crowd.get("/", params={"q": QUERY})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 10
        assert "秒後にもう一度お試しください" in refused.text
        # The lab embed and the reasons on a posting page run the model too; browsing without a query does not.
        assert crowd.get("/embed/search", params={"lab": "lab-kagoshima-pref", "q": QUERY}).status_code == 429
        assert crowd.get("/postings/seed/S-0001", params={"q": QUERY}).status_code == 429
        assert crowd.get("/embed/search", params={"lab": "lab-kagoshima-pref"}).status_code == 200
        assert crowd.get("/").status_code == 200
        assert neighbour.get("/", params={"q": QUERY}).status_code == 200


def test_signed_in_members_are_not_limited_as_anonymous_visitors(community: Community, limited_app: FastAPI) -> None:
    with TestClient(limited_app, client=("203.0.113.10", 40000)) as member:
        sign_in(member, community.keys["member"])
        assert [member.get("/", params={"q": QUERY}).status_code for _ in range(5)] == [200] * 5
