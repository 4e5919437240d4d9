"""Alerts end to end: a change through the API, the alert pass with the real engine, the outbox worker, a real
SMTP server (and a real HTTP server for a lab's webhook)."""

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.alerts import runner, service
from app.alerts.models import AlertCheck, AlertNotification
from app.config import Settings
from app.db import session_scope
from app.matches.engine import MatchingEngine
from app.notifications.models import OutboxMessage
from app.notifications.sender import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.alerts.conftest import Alerts
from tests.api.conftest import CONTACT_A, CONTACT_B
from tests.mail import Mailbox

HANAKO, ICHIRO = CONTACT_A["email"], CONTACT_B["email"]  # ORG-A (need N-A1) and ORG-B (seed S-B1)
MONITORING = {"title": "工作機械の稼働監視クラウド",
              "description": "古い工作機械に電流センサーを後付けし、稼働状況を集めてクラウドで見える化します。"}
MORE_MONITORING = [
    {"title": "工場設備の稼働監視サービス",
     "description": "古い工作機械の稼働状況をセンサーで集めて、停止や稼働率をリアルタイムに見える化します。"},
    {"title": "後付けセンサーによる工作機械の稼働監視",
     "description": "古い工作機械に後付けの無線センサーを付け、稼働状況を集めてダッシュボードで見える化します。"},
]


def _notes(alerts: Alerts, role: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = alerts.get("/v1/alerts/notifications", role, **params)
    return result


def test_a_new_seed_that_answers_a_need_is_told_once_and_never_again_for_the_pair(
        alerts: Alerts, smtp_server: Mailbox) -> None:
    seed = alerts.post("/v1/seeds", "other_member", MONITORING)["id"]
    assert alerts.process() == 1

    [note] = _notes(alerts, "member")["notifications"]
    assert (note["topic"], note["match_id"], note["match_kind"]) == ("need:N-A1", seed, "seed")
    assert note["score"] >= alerts.settings.alert_min_score
    assert note["reason_ja"]
    assert alerts.deliver() >= 1
    [mail] = smtp_server.wait_for_mail_to(HANAKO)
    assert MONITORING["title"] in str(mail["Subject"])
    assert MONITORING["title"] in Mailbox.text(mail)
    assert f"/postings/seed/{seed}?pair=N-A1" in Mailbox.text(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(mail["List-Unsubscribe"]).startswith("<https://match.example.jp/alerts/unsubscribe/")

    # An edit that keeps the seed in the need's top N says nothing new, before and after a restart of the pass
    # (a fresh engine, as a restarted server has).
    alerts.patch(f"/v1/seeds/{seed}", "other_member", {"description": MONITORING["description"] + "導入は1日です。"})
    assert alerts.process() == 1
    restarted = MatchingEngine(alerts.settings, alerts.engine.encoder, alerts.engine.vocabulary)
    restarted.meaning = alerts.engine.meaning  # the phrasings' vectors: the same for any engine, and slow to make
    alerts.patch(f"/v1/seeds/{seed}", "other_member", {"title": MONITORING["title"] + "（月額制）"})
    assert alerts.process(restarted) == 1
    alerts.deliver()
    assert len(smtp_server.settle()) == 1
    with session_scope(alerts.factory) as session:
        told = session.execute(select(AlertNotification.topic, AlertNotification.match_id)).all()
        assert [t for t in told if t[0] == "need:N-A1"] == [("need:N-A1", seed)]
        assert len(set(told)) == len(told)  # other needs it answers were told once each too
        assert session.scalar(select(func.count(AlertCheck.id))) == 0

    # The in-page list: unread until marked read.
    assert _notes(alerts, "member")["unread"] == 1
    assert alerts.post("/v1/alerts/notifications/read", "member", {}, status=200) == {"marked": 1, "unread": 0}
    assert _notes(alerts, "member", unread=True)["notifications"] == []


def test_a_need_switched_off_is_not_alerted(alerts: Alerts, smtp_server: Mailbox) -> None:
    response = alerts.client.put("/v1/alerts/needs/N-A1", json={"enabled": False},
                                 headers=alerts.world.headers("member"))
    assert response.status_code == 200, response.text
    other = alerts.client.put("/v1/alerts/needs/N-B1", json={"enabled": False},
                              headers=alerts.world.headers("member"))
    assert other.status_code == 403
    assert "N-B1" in other.text
    alerts.post("/v1/seeds", "other_member", MONITORING)
    alerts.process()
    assert _notes(alerts, "member")["notifications"] == []


def test_a_new_need_tells_the_members_whose_seeds_answer_it(alerts: Alerts, smtp_server: Mailbox) -> None:
    need = {"title": "工作機械の稼働状況を見える化したい",
            "description": "工場の古い工作機械にセンサーを付けて、稼働状況をクラウドで見える化したい。"}
    alerts.post("/v1/needs", "member", need)
    alerts.process()
    topics = {n["topic"] for n in _notes(alerts, "other_member")["notifications"]}
    assert "seed:S-B1" in topics  # ORG-B's monitoring package answers it
    alerts.deliver()
    [mail] = smtp_server.wait_for_mail_to(ICHIRO)
    assert need["title"] in Mailbox.text(mail)


def test_the_daily_digest_gathers_the_alerts_of_the_day_into_one_mail(alerts: Alerts, smtp_server: Mailbox) -> None:
    assert alerts.patch("/v1/alerts/preferences", "member", {"email_mode": "digest"})["email_mode"] == "digest"
    titles = [s["title"] for s in (MONITORING, *MORE_MONITORING)]
    alerts.post("/v1/seeds", "other_member", MONITORING)
    # from three members: a ranking shows at most two seeds of one member before the others get their turn
    alerts.post("/v1/seeds", "secretariat", MORE_MONITORING[0] | {"organization": "ORG-D"})
    alerts.post("/v1/seeds", "secretariat", MORE_MONITORING[1] | {"organization": "ORG-C"})
    alerts.process()
    assert len(_notes(alerts, "member")["notifications"]) == 3
    alerts.deliver()
    assert smtp_server.to(HANAKO) == []  # nothing at once for a member who wants the digest

    before_hour = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)  # 06:00 in Japan, before the digest hour
    morning = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 08:30 in Japan
    with session_scope(alerts.factory) as session:
        assert service.send_digests(session, alerts.settings, now=before_hour) == 0
    with session_scope(alerts.factory) as session:
        assert service.send_digests(session, alerts.settings, now=morning) == 1
    with session_scope(alerts.factory) as session:
        assert service.send_digests(session, alerts.settings, now=morning) == 0  # gathered once
    alerts.deliver()
    [mail] = smtp_server.wait_for_mail_to(HANAKO)
    assert "3" in str(mail["Subject"])
    assert all(title in Mailbox.text(mail) for title in titles)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(smtp_server.settle()) == 1


def test_one_click_unsubscribe_stops_the_mails(alerts: Alerts, smtp_server: Mailbox) -> None:
    alerts.post("/v1/seeds", "other_member", MONITORING)
    alerts.process()
    alerts.deliver()
    [mail] = smtp_server.wait_for_mail_to(HANAKO)
    url = str(mail["List-Unsubscribe"]).strip("<>")
    path = urlsplit(url).path
    assert url in Mailbox.text(mail)  # the link in the text, for mail programs without the button

    page = alerts.client.get(path)  # opening the link (or a mail scanner fetching it) only asks
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert alerts.client.get("/alerts/unsubscribe/forged-token").status_code == 404
    done = alerts.client.post(path, content=b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    assert HANAKO in done.text

    smtp_server.clear()
    alerts.post("/v1/seeds", "other_member", MORE_MONITORING[0])
    alerts.process()
    alerts.deliver()
    assert len(_notes(alerts, "member")["notifications"]) == 2  # still on the member's page
    assert smtp_server.settle() == []
    with session_scope(alerts.factory) as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_a_saved_search_alerts_about_a_new_seed_among_its_first_results(alerts: Alerts, smtp_server: Mailbox) -> None:
    search = alerts.post("/v1/alerts/searches", "member",
                         {"q": "ドローンで農地を空撮して作物の生育を診断したい", "target": "seeds"})
    drone = alerts.post("/v1/seeds", "other_member", {
        "title": "ドローン空撮による農作物の生育診断",
        "description": "ドローンで農地を空撮し、画像解析で作物の生育状況や病害を診断します。"})["id"]
    alerts.process()
    topics = {(n["topic"], n["match_id"]) for n in _notes(alerts, "member")["notifications"]}
    assert (f"search:{search['id']}", drone) in topics
    alerts.deliver()
    mails = smtp_server.wait_for_mail_to(HANAKO)
    assert any("ドローンで農地を空撮" in Mailbox.text(m) for m in mails)
    assert alerts.client.delete(f"/v1/alerts/searches/{search['id']}",
                                headers=alerts.world.headers("member")).status_code == 204


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(({k: v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A lab site's webhook receiver: a real HTTP server on 127.0.0.1."""
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/iotmatch-hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_lab_webhook_gets_new_matches_in_its_region_signed(
        alerts: Alerts, smtp_server: Mailbox, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    url, received = receiver
    hook = alerts.post("/v1/alerts/webhooks", "lab", {"url": url})
    secret = hook["secret"]
    assert alerts.get("/v1/alerts/webhooks", "lab")[0]["url"] == url
    assert alerts.client.post("/v1/alerts/webhooks", json={"url": url},
                              headers=alerts.world.headers("member")).status_code == 403

    seed = alerts.post("/v1/seeds", "other_member", MONITORING)["id"]
    alerts.process()
    alerts.deliver()
    pairs = []
    for headers, body in received:
        assert verify(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert not verify("another secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        payload = json.loads(body)
        assert payload["event"] == "match.new"
        assert payload["lab"] == "lab-fukuoka-pref"
        pairs.append((payload["need"]["id"], payload["seed"]["id"]))
    assert ("N-A1", seed) in pairs  # a 福岡県 manufacturer's need (E: the lab's focus)

    # The same pair is never posted again.
    count = len(received)
    alerts.patch(f"/v1/seeds/{seed}", "other_member", {"description": MONITORING["description"] + "導入は1日です。"})
    alerts.process()
    alerts.deliver()
    assert len(received) == count


def test_the_server_runs_the_alert_pass_itself(alerts: Alerts, smtp_server: Mailbox, database_url: str,
                                               tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.alerts.conftest import alert_settings

    settings = alert_settings(database_url, tmp_path, alert_poll_seconds=0.2)
    with TestClient(create_app(settings, alerts.engine)) as client:
        response = client.post("/v1/seeds", json=MONITORING, headers=alerts.world.headers("other_member"))
        assert response.status_code == 201
        deadline = datetime.now(UTC).timestamp() + 60
        while datetime.now(UTC).timestamp() < deadline:
            notes = client.get("/v1/alerts/notifications", headers=alerts.world.headers("member")).json()
            if notes["notifications"]:
                break
            threading.Event().wait(0.2)
        assert [n["match_id"] for n in notes["notifications"]] == [response.json()["id"]]


def _csrf(alerts: Alerts, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', alerts.client.get(path).text)
    assert found, path
    return found.group(1)


def test_the_member_reads_its_alerts_and_changes_its_settings_on_its_page(alerts: Alerts, smtp_server: Mailbox) -> None:
    seed = alerts.post("/v1/seeds", "other_member", MONITORING)["id"]
    alerts.process()
    signed_in = alerts.client.post("/signin", data={"api_key": alerts.world.tokens["member"],
                                                    "csrf": _csrf(alerts, "/signin")}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert "未読 1" in alerts.client.get("/me").text  # the link on my page counts the unread alerts

    page = alerts.client.get("/me/alerts")
    assert page.status_code == 200
    assert f'data-match="{seed}"' in page.text
    assert MONITORING["title"] in page.text
    csrf = _csrf(alerts, "/me/alerts")
    assert alerts.client.post("/me/alerts/read", data={"csrf": csrf}).status_code == 200
    assert "未読 0 件" in alerts.client.get("/me/alerts").text

    # A daily digest, new needs not alerted by default, N-A1 still on; seed alerts off.
    saved = alerts.client.post("/me/alerts", data={"csrf": csrf, "email_mode": "digest", "language": "en",
                                                   "needs": ["N-A1"]})
    assert saved.status_code == 200
    prefs = alerts.get("/v1/alerts/preferences", "member")
    assert prefs == {"email_mode": "digest", "needs_default": False, "seeds_enabled": False, "language": "en"}
    [need] = alerts.get("/v1/alerts/needs", "member")
    assert (need["need"], need["enabled"]) == ("N-A1", True)

    added = alerts.client.post("/me/alerts/searches", data={"csrf": csrf, "q": "ドローン 空撮", "target": "seeds",
                                                           "prefecture": "福岡県"})
    assert added.status_code == 200
    [search] = alerts.get("/v1/alerts/searches", "member")
    assert (search["q"], search["prefecture"]) == ("ドローン 空撮", "福岡県")
    assert alerts.client.post("/me/alerts/searches", data={"csrf": csrf, "q": "  "}).status_code == 422
    assert alerts.client.post("/me/alerts", data={"csrf": "forged"}).status_code == 403


class _StopAfterFirstBatch(threading.Event):
    """A stop asked for while the first batch is being ranked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > 1


@pytest.fixture
def one_at_a_time(alerts: Alerts) -> Settings:
    """Three pending checks (three new seeds), and settings that rank them in a batch each."""
    for seed in [MONITORING, *MORE_MONITORING]:
        alerts.post("/v1/seeds", "other_member", seed)
    return alerts.settings.model_copy(update={"alert_batch_size": 1})


def test_a_stopping_server_finishes_its_batch_and_leaves_the_other_checks_to_the_next_start(
        alerts: Alerts, one_at_a_time: Settings) -> None:
    assert runner.run_once(alerts.factory, alerts.engine, one_at_a_time, _StopAfterFirstBatch()) == 1
    with session_scope(alerts.factory) as session:
        assert session.scalar(select(func.count(AlertCheck.id))) == 2  # kept, not lost
    assert runner.run_once(alerts.factory, alerts.engine, one_at_a_time, threading.Event()) == 2
    with session_scope(alerts.factory) as session:
        assert session.scalar(select(func.count(AlertCheck.id))) == 0


def test_a_backlog_of_checks_takes_no_more_than_its_share_of_the_servers_time(
        alerts: Alerts, one_at_a_time: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    busy: list[float] = []
    process = service.process_checks

    def timed(*args: Any, **kwargs: Any) -> int:
        started = time.monotonic()
        try:
            return process(*args, **kwargs)
        finally:
            busy.append(time.monotonic() - started)

    monkeypatch.setattr(service, "process_checks", timed)
    started = time.monotonic()
    assert runner.run_once(alerts.factory, alerts.engine, one_at_a_time, threading.Event(), cpu_share=0.25) == 3
    elapsed = time.monotonic() - started
    assert len(busy) == 4  # three full batches, then an empty one
    assert elapsed >= 0.95 * (sum(busy[:3]) / 0.25 + busy[3])  # a rest of 3 t after each full batch of t


def test_a_stop_asked_for_during_a_rest_ends_it_at_once(alerts: Alerts, one_at_a_time: Settings) -> None:
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    # At this share a batch of t is followed by a rest of about 10,000 t: minutes, unless the stop ends it.
    assert runner.run_once(alerts.factory, alerts.engine, one_at_a_time, stop, cpu_share=0.0001) == 1
    assert time.monotonic() - started < 5
