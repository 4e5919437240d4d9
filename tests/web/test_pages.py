"""The pages over HTTP on each backend: sessions, CSRF, who sees what, forms, framing, language."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import service as auth_service
from app.db import make_engine, make_session_factory, session_scope
from app.feedback.models import Feedback
from app.roster.models import Need
from tests.web.conftest import Community, schedule_event

CONTACT_EMAIL = "maeda@osumi-broiler.example.jp"  # ORG-0064's contact in the demo roster


@pytest.fixture
def client(community: Community) -> Iterator[TestClient]:
    """A browser-like client with its own cookie jar."""
    with TestClient(community.app) as test_client:
        yield test_client


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    response = client.post("/signin", data={"api_key": token, "csrf": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def count_feedback(community: Community) -> int:
    engine = make_engine(community.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return len(list(session.scalars(select(Feedback))))
    finally:
        engine.dispose()


def test_sign_in_sets_a_locked_down_cookie_and_lands_by_role(community: Community, client: TestClient) -> None:
    response = client.post("/signin", data={"api_key": community.keys["member"], "csrf": csrf_of(client)},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert response.headers["location"] == "/me"
    assert "株式会社大隅ブロイラー" in client.get("/me").text
    with TestClient(community.app, base_url="https://testserver") as secure:
        response = secure.post("/signin", data={"api_key": community.keys["secretariat"], "csrf": csrf_of(secure)},
                               follow_redirects=False)
        assert "Secure" in response.headers["set-cookie"]
        assert response.headers["location"] == "/dashboard"


def test_a_wrong_key_is_refused_with_a_page_that_says_what_to_do(client: TestClient) -> None:
    response = client.post("/signin", data={"api_key": "iotm_00000000_" + "x" * 40, "csrf": csrf_of(client)})
    assert response.status_code == 401
    assert "事務局から受け取ったキー" in response.text
    assert client.get("/me", follow_redirects=False).headers["location"].startswith("/signin")


def test_forms_without_the_session_token_are_refused(community: Community, client: TestClient) -> None:
    assert client.post("/signin", data={"api_key": community.keys["member"]}).status_code == 403
    sign_in(client, community.keys["member"])
    before = count_feedback(community)
    response = client.post("/feedback", data={"need": "N-0042", "seed": "S-0046", "status": "interested",
                                              "csrf": "forged"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert count_feedback(community) == before


def test_feedback_from_my_page_is_recorded_for_the_member(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["member"])
    token = csrf_of(client, "/me")
    response = client.post("/feedback", data={"need": "N-0042", "seed": "S-0046", "status": "contacted",
                                              "csrf": token, "next": "/me"}, follow_redirects=False)
    assert response.headers["location"] == "/me?saved=contacted"
    page = client.get("/me?saved=contacted").text
    assert "「連絡した」を記録しました。" in page
    assert re.search(r'<strong>[^<]+</strong> <span class="status-badge s-(eligible|needs_confirmation)">', page)
    assert re.search(r'value="contacted" class="status current"\s+aria-pressed="true"', page)
    # A pair with neither of the member's postings is refused, as the API refuses it.
    response = client.post("/feedback", data={"need": "N-0001", "seed": "S-0046", "status": "interested",
                                              "csrf": token})
    assert response.status_code == 403


def test_sign_out_and_revocation_end_the_session(community: Community, client: TestClient) -> None:
    engine = make_engine(community.url)
    with session_scope(make_session_factory(engine)) as session:
        key, token = auth_service.create_key(db_session=session, role="member", organization="ORG-0064")
    sign_in(client, token)
    assert client.get("/me").status_code == 200
    response = client.post("/signout", data={"csrf": csrf_of(client, "/me")}, follow_redirects=False)
    assert response.headers["location"] == "/signin?signed_out=1"
    assert client.get("/me", follow_redirects=False).status_code == 303
    sign_in(client, token)
    with session_scope(make_session_factory(engine)) as session:
        auth_service.revoke_key(db_session=session, key=auth_service.get_key(db_session=session, key_id=key.id))
    engine.dispose()
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_a_cookie_copied_before_sign_out_is_refused_after_it(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["member"])
    copied = client.cookies["iotm_session"]
    assert client.get("/me").status_code == 200
    client.post("/signout", data={"csrf": csrf_of(client, "/me")})
    with TestClient(community.app, cookies={"iotm_session": copied}) as replay:
        response = replay.get("/me", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
        assert "iotm_session" in response.headers.get("set-cookie", "")  # replaced by an anonymous session
    # Signing out ends only that session: the member's other browser stays signed in.
    with TestClient(community.app) as other_browser:
        sign_in(other_browser, community.keys["member"])
        sign_in(client, community.keys["member"])
        client.post("/signout", data={"csrf": csrf_of(client, "/me")})
        assert other_browser.get("/me").status_code == 200


@pytest.mark.parametrize(("who", "shown"), [(None, False), ("other", False), ("lab", False), ("member", True),
                                            ("secretariat", True)])
def test_contact_data_only_for_the_member_itself_and_the_secretariat(community: Community, client: TestClient,
                                                                     who: str | None, shown: bool) -> None:
    if who:
        sign_in(client, community.keys[who])
    page = client.get("/organizations/ORG-0064").text
    assert "株式会社大隅ブロイラー" in page
    assert (CONTACT_EMAIL in page) is shown
    assert ("前田" in page) is shown


def test_members_edit_only_their_own_postings(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["other"])
    response = client.get("/me/needs/N-0042/edit")
    assert response.status_code == 403
    assert "他の会員のもの" in response.text
    response = client.post("/me/needs/N-0042/edit", data={"title": "乗っ取り", "description": "x",
                                                          "csrf": csrf_of(client, "/me")})
    assert response.status_code == 403
    engine = make_engine(community.url)
    with session_scope(make_session_factory(engine)) as session:
        assert session.scalar(select(Need.title).where(Need.external_id == "N-0042")) != "乗っ取り"
    engine.dispose()


def test_a_member_adds_and_edits_a_need_through_the_forms(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["other"])
    token = csrf_of(client, "/me/needs/new")
    response = client.post("/me/needs/new", data={"title": " ", "description": "説明", "budget_jpy": "abc",
                                                  "csrf": token})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert "数字だけで入力してください" in response.text
    response = client.post("/me/needs/new", data={
        "title": "倉庫の温湿度を遠隔で見守りたい",
        "description": "夜間も倉庫の温湿度を確かめたいが、人手が足りません。",
        "tags": "温湿度、倉庫", "budget_jpy": "1,500,000", "csrf": token}, follow_redirects=False)
    assert response.headers["location"] == "/me?saved=1"
    page = client.get("/me?saved=1").text
    assert "倉庫の温湿度を遠隔で見守りたい" in page
    need_id = re.search(r'href="/me/needs/([^/"]+)/edit"', page)
    assert need_id
    form = client.get(f"/me/needs/{need_id.group(1)}/edit").text
    assert 'value="1500000"' in form
    assert "温湿度、倉庫" in form
    response = client.post(f"/me/needs/{need_id.group(1)}/edit", data={
        "title": "倉庫と冷蔵庫の温湿度を遠隔で見守りたい", "description": "夜間も確かめたい。", "tags": "",
        "budget_jpy": "", "csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert "倉庫と冷蔵庫の温湿度を遠隔で見守りたい" in client.get("/me").text



def test_a_member_says_where_a_seed_is_offered_through_the_form(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["other"])
    token = csrf_of(client, "/me/seeds/new")
    form = client.get("/me/seeds/new").text
    assert 'name="service_area" value="佐賀県"' in form
    response = client.post("/me/seeds/new", data={
        "title": "鶏舎の見回り代行", "description": "夜間の鶏舎を見回ります。", "service_area": ["鹿児島県", "宮崎県"],
        "csrf": token}, follow_redirects=False)
    assert response.headers["location"] == "/me?saved=1"
    seed_id = re.search(r'id="seed-([^"]+)">鶏舎の見回り代行 ', client.get("/me").text)
    assert seed_id
    edit = client.get(f"/me/seeds/{seed_id.group(1)}/edit").text
    assert re.search(r'value="宮崎県" checked', edit)
    assert re.search(r'value="鹿児島県" checked', edit)
    assert not re.search(r'value="福岡県" checked', edit)
    shown = client.get(f"/postings/seed/{seed_id.group(1)}").text
    assert "提供できる地域" in shown
    # Nothing ticked: available anywhere again.
    client.post(f"/me/seeds/{seed_id.group(1)}/edit", data={
        "title": "鶏舎の見回り代行", "description": "夜間の鶏舎を見回ります。", "csrf": token}, follow_redirects=False)
    assert "提供できる地域" not in client.get(f"/postings/seed/{seed_id.group(1)}").text


def test_the_dashboard_is_the_secretariats(community: Community, client: TestClient) -> None:
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/signin?next=/dashboard"
    sign_in(client, community.keys["member"])
    assert client.get("/dashboard").status_code == 403
    client.post("/signout", data={"csrf": csrf_of(client, "/me")})
    sign_in(client, community.keys["secretariat"])
    page = client.get("/dashboard").text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert re.search(r'<span class="n">82</span> 会員', page)


def test_embed_may_be_framed_only_by_the_labs_origins(client: TestClient) -> None:
    response = client.get("/embed/search?lab=lab-kagoshima-pref")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://iot-lab.kagoshima-pref.example.jp https://www.kagoshima-pref.example.jp" \
        in policy
    assert "x-frame-options" not in response.headers
    assert "set-cookie" not in response.headers  # it lives in other sites' frames
    assert "--brand: #" in response.text
    assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]
    assert client.get("/embed/search?lab=lab-kagoshima-pref&region=Atlantis").status_code == 422
    assert client.get("/embed/search?lab=lab-kagoshima-pref&field=Z").status_code == 422
    missing = client.get("/embed/search?lab=lab-nowhere")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]


def test_english_on_request_and_remembered(client: TestClient) -> None:
    response = client.get("/?lang=en")
    assert '<html lang="en">' in response.text
    assert "Find help and technology" in response.text
    assert '<html lang="en">' in client.get("/signin").text  # the cookie keeps it
    assert '<html lang="ja">' in client.get("/signin?lang=ja").text


def test_search_results_and_bad_filters(client: TestClient) -> None:
    page = client.get("/", params={"q": "鶏舎の換気が止まったら知らせてほしい", "prefecture": "鹿児島県"}).text
    prefectures = re.findall(r'<span class="meta">(\S+県) ·', page)
    assert prefectures
    assert set(prefectures) == {"鹿児島県"}
    assert "理由:" in page
    response = client.get("/", params={"q": "x", "prefecture": "Atlantis"})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]


def test_the_secretariat_sees_an_events_grid_and_prints_its_agendas(community: Community, client: TestClient) -> None:
    code = schedule_event(community)
    sign_in(client, community.keys["member"])
    assert client.get(f"/dashboard/events/{code}").status_code == 403
    assert client.get(f"/dashboard/events/{code}/print").status_code == 403
    client.post("/signout", data={"csrf": csrf_of(client, "/me")})
    sign_in(client, community.keys["secretariat"])
    assert f'href="/dashboard/events/{code}"' in client.get("/dashboard").text
    page = client.get(f"/dashboard/events/{code}").text
    meetings = int(re.search(r'<dd id="meeting-count">(\d+)</dd>', page).group(1))  # type: ignore[union-attr]
    assert meetings > 0
    assert page.count(" × <a href=\"/organizations/") == meetings
    assert "休憩" in page
    printable = client.get(f"/dashboard/events/{code}/print")
    assert printable.status_code == 200
    assert "株式会社大隅ブロイラー" in printable.text
    assert client.get("/dashboard/events/EV-9999").status_code == 404


def test_a_members_own_posting_offers_editing_not_feedback(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["member"])
    own = client.get("/postings/need/N-0042").text
    assert 'href="/me/needs/N-0042/edit"' in own
    assert 'action="/feedback"' not in own
    other = client.get("/postings/seed/S-0046").text
    assert 'action="/feedback"' in other
    assert "/edit" not in other


@pytest.mark.parametrize(("who", "paths"), [
    ("member", ["/me", "/me/seeds/new", "/me/needs/N-0042/edit", "/postings/seed/S-0046?q=鶏舎",
                "/organizations/ORG-0064"]),
    ("secretariat", ["/dashboard", "/?q=温度&target=needs", "/embed/search?lab=lab-fukuoka-pref&q=温度"]),
])
def test_every_page_renders_in_english(community: Community, client: TestClient, who: str, paths: list[str]) -> None:
    sign_in(client, community.keys[who])
    client.get("/?lang=en")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="en">' in response.text, path


@pytest.mark.parametrize("field", ["title", "description", "tags", "budget_jpy"])
def test_a_nul_character_in_a_form_is_an_error_to_fix_not_a_server_error(
        community: Community, client: TestClient, field: str) -> None:
    sign_in(client, community.keys["other"])
    token = csrf_of(client, "/me/needs/new")
    data = {"title": "倉庫の温湿度", "description": "夜間も確かめたい。", "tags": "温湿度", "budget_jpy": "",
            "csrf": token}
    data[field] = data[field] + "\x00" if data[field] else "\x00"
    response = client.post("/me/needs/new", data=data, follow_redirects=False)
    assert response.status_code in (400, 422)


def test_refusals_and_form_errors_speak_the_visitors_language(community: Community, client: TestClient) -> None:
    sign_in(client, community.keys["member"])
    refused = client.get("/dashboard")
    assert refused.status_code == 403
    assert "ダッシュボードは事務局のキーでログインすると見られます。" in refused.text
    forged = client.post("/feedback", data={"need": "N-0042", "seed": "S-0046", "status": "met", "csrf": "forged"})
    assert "ページを読み込み直して" in forged.text
    form = client.post("/me/needs/new", data={"title": " ", "description": "説明", "budget_jpy": "abc",
                                              "csrf": csrf_of(client, "/me/needs/new")})
    assert "1 文字以上にしてください" in form.text

    client.get("/?lang=en")
    refused = client.get("/dashboard")
    assert "The dashboard is for the secretariat&#39;s keys." in refused.text
    assert "ダッシュボード" not in refused.text.split("<main", 1)[1]
    forged = client.post("/feedback", data={"need": "N-0042", "seed": "S-0046", "status": "met", "csrf": "forged"})
    assert "The form has expired or did not come from this site" in forged.text
    form = client.post("/me/needs/new", data={"title": " ", "description": "説明", "budget_jpy": "abc",
                                              "csrf": csrf_of(client, "/me/needs/new")})
    assert form.status_code == 422
    assert "Digits only, please." in form.text
    assert "String should have at least 1 character" in form.text


def test_the_events_grid_in_english(community: Community, client: TestClient) -> None:
    code = schedule_event(community)
    sign_in(client, community.keys["secretariat"])
    client.get("/?lang=en")
    page = client.get(f"/dashboard/events/{code}").text
    assert "Printable schedule and agendas (A4)" in page
    assert "Schedule (time slot × table)" in page
    assert re.search(r"Table 1</th>", page)
    assert re.search(r'<span class="meta"> \S+ · \d+ min</span>', page)
    assert "予定表" not in page
