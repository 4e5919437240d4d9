"""Introduction pages over HTTP on each backend: ask from a match, answer on the member's page, contacts for the two
members once accepted and for nobody else, a declined pair off the asker's page, and the secretariat's queue."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.db import make_engine, make_session_factory, session_scope
from app.roster.models import Seed
from tests.web.conftest import MEMBER, Community

ASKER_EMAIL = "maeda@osumi-broiler.example.jp"  # ORG-0064's contact in the demo roster
NEED = "N-0041"


def new_client(community: Community, token: str | None = None) -> TestClient:
    client = TestClient(community.app)
    client.__enter__()
    if token:
        response = client.post("/signin", data={"api_key": token, "csrf": csrf_of(client, "/signin")},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def member_key(community: Community, organization: str) -> str:
    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return auth_service.create_key(db_session=session, role="member", organization=organization)[1]
    finally:
        engine.dispose()


def owner_of(community: Community, seed_id: str) -> tuple[str, str | None]:
    """The seed's member and its contact e-mail."""
    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            seed = session.query(Seed).filter_by(external_id=seed_id).one()
            return seed.organization.external_id, seed.organization.contact_email
    finally:
        engine.dispose()


def matches_on_my_page(client: TestClient, need: str) -> list[str]:
    return re.findall(rf'id="pair-{need}-(S-\d+)"', client.get("/me").text)


@pytest.fixture
def asker(community: Community) -> Iterator[TestClient]:
    client = new_client(community, community.keys["member"])
    yield client
    client.__exit__(None, None, None)


def ask(client: TestClient, need: str, seed: str, message: str) -> str:
    """Ask through the form; returns the introduction's page path."""
    form = client.get(f"/introductions/new?need={need}&seed={seed}")
    assert form.status_code == 200, form.text
    response = client.post("/introductions/new", data={"need": need, "seed": seed, "message": message,
                                                       "csrf": csrf_of(client, "/me")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/introductions/\d+\?done=requested", location)
    return location.split("?")[0]


def test_asked_from_a_match_accepted_on_the_other_members_page(community: Community, asker: TestClient) -> None:
    seed = matches_on_my_page(asker, NEED)[0]
    assert f'/introductions/new?need={NEED}&amp;seed={seed}' in asker.get("/me").text
    path = ask(asker, NEED, seed, "鶏舎の見守りについてご相談したいです。")
    page = asker.get(path).text
    assert "回答待ち" in page
    # Asking again leads to the request there is.
    again = asker.get(f"/introductions/new?need={NEED}&seed={seed}", follow_redirects=False)
    assert again.headers["location"] == path
    assert ASKER_EMAIL not in page

    partner, partner_email = owner_of(community, seed)
    assert partner_email
    other = new_client(community, member_key(community, partner))
    third = new_client(community, member_key(community, "ORG-0002"))
    anonymous = new_client(community)
    try:
        mine = other.get("/me").text
        assert "回答待ちの紹介依頼" in mine
        assert path in mine
        before = other.get(path).text
        assert "鶏舎の見守りについてご相談したいです。" in before
        assert ASKER_EMAIL not in before
        assert partner_email not in before
        assert third.get(path).status_code == 404
        assert anonymous.get(path, follow_redirects=False).headers["location"].startswith("/signin")
        # Only the member asked answers.
        assert asker.post(f"{path}/accept", data={"csrf": csrf_of(asker, path)}).status_code == 403
        assert third.post(f"{path}/accept", data={"csrf": csrf_of(third, "/me")}).status_code == 404

        response = other.post(f"{path}/accept", data={"csrf": csrf_of(other, path), "reply": "ぜひ。"},
                              follow_redirects=False)
        assert response.status_code == 303
        after = other.get(response.headers["location"]).text
        assert "互いの連絡先が表示され" in after
        assert ASKER_EMAIL in after
        assert partner_email in asker.get(path).text
        assert third.get(path).status_code == 404
        assert ASKER_EMAIL not in third.get(f"/organizations/{MEMBER}").text

        # Steps on the page feed the feedback, as the dashboard counts it.
        assert asker.post(f"{path}/step", data={"csrf": csrf_of(asker, path), "step": "contacted"},
                          follow_redirects=False).status_code == 303
        assert "連絡した — 株式会社大隅ブロイラー" in other.get(path).text
    finally:
        for client in (other, third, anonymous):
            client.__exit__(None, None, None)


def test_declined_pair_leaves_the_askers_page_and_the_queue_lists_it(community: Community,
                                                                      asker: TestClient) -> None:
    seed = matches_on_my_page(asker, "N-0042")[0]
    path = ask(asker, "N-0042", seed, "見積もりをお願いできますか。")
    partner, partner_email = owner_of(community, seed)
    other = new_client(community, member_key(community, partner))
    secretariat = new_client(community, community.keys["secretariat"])
    try:
        queue = secretariat.get("/dashboard/introductions?state=requested").text
        assert path in queue
        assert path not in secretariat.get("/dashboard/introductions?state=requested&older_than_days=3").text
        assert secretariat.get("/dashboard/introductions?state=lost").status_code == 422
        assert other.get("/dashboard/introductions").status_code == 403

        response = other.post(f"{path}/decline", data={"csrf": csrf_of(other, path)}, follow_redirects=False)
        assert response.status_code == 303
        for client in (asker, other):
            page = client.get(path).text
            assert "辞退" in page
            assert ASKER_EMAIL not in page
            assert (not partner_email or partner_email not in page)
        assert seed not in matches_on_my_page(asker, "N-0042")
        # On the seed's own page the pair still shows, saying it was declined.
        assert "辞退" in asker.get(f"/postings/seed/{seed}?pair=N-0042").text
        assert path in secretariat.get("/dashboard/introductions?state=declined").text

        # The secretariat's note stays with the secretariat.
        secretariat.post(f"{path}/note", data={"csrf": csrf_of(secretariat, path), "note": "別の候補を提案する"})
        assert "別の候補を提案する" in secretariat.get(path).text
        assert "別の候補を提案する" not in asker.get(path).text
    finally:
        other.__exit__(None, None, None)
        secretariat.__exit__(None, None, None)


def test_a_message_over_the_limit_comes_back_with_what_to_fix(community: Community, asker: TestClient) -> None:
    seed = matches_on_my_page(asker, NEED)[-1]
    response = asker.post("/introductions/new", data={"need": NEED, "seed": seed, "message": "あ" * 1200,
                                                      "csrf": csrf_of(asker, "/me")})
    assert response.status_code == 422
    assert "1000 文字以内にしてください" in response.text
    assert "あ" * 1200 in response.text  # the text is kept to shorten
    lab = new_client(community, community.keys["lab"])
    try:
        assert lab.get(f"/introductions/new?need={NEED}&seed={seed}").status_code == 403
    finally:
        lab.__exit__(None, None, None)
