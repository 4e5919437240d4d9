"""Introductions through the API: double opt-in, contacts only for the two members once accepted, declined pairs
leave the asker's matches, steps feed the feedback, and the secretariat's queue."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope, utcnow
from app.errors import Conflict
from app.introductions import jobs, service
from app.introductions.models import Introduction
from app.introductions.service import Actor
from app.main import create_app
from app.notifications.models import OutboxMessage
from app.roster.models import Need, Organization, Seed
from tests.api.conftest import CONTACT_A, CONTACT_B, World
from tests.mail import Mailbox

PAIR = {"need": "N-A1", "seed": "S-B1"}  # ORG-A's need, ORG-B's seed
MESSAGE = "工作機械の稼働監視を検討しています。一度お話を伺えますか。"


@pytest.fixture
def third(session: Session, world: World) -> World:
    """A key for ORG-C, a member outside the pair."""
    _, token = auth_service.create_key(db_session=session, role="member", name="third", organization="ORG-C")
    session.commit()
    world.tokens["third"] = token
    return world


def ask(client: TestClient, world: World, role: str = "member", **body: Any) -> Any:
    response = client.post("/v1/introductions", json=PAIR | {"message": MESSAGE} | body, headers=world.headers(role))
    assert response.status_code == 201, response.text
    return response.json()


def read(client: TestClient, world: World, role: str, intro_id: int) -> Any:
    response = client.get(f"/v1/introductions/{intro_id}", headers=world.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def contacts(intro: dict[str, Any]) -> tuple[Any, Any]:
    return intro["asker"]["contact"], intro["recipient"]["contact"]


def test_requested_then_accepted_shows_the_contacts_to_the_two_members_only(client: TestClient,
                                                                           third: World) -> None:
    world = third
    intro = ask(client, world)
    assert intro["state"] == "requested"
    assert (intro["asker"]["id"], intro["recipient"]["id"]) == ("ORG-A", "ORG-B")
    assert [e["kind"] for e in intro["events"]] == ["requested"]

    # Before the answer neither member sees the other's contact; the member asked sees who asks and why.
    assert contacts(read(client, world, "member", intro["id"])) == (None, None)
    seen_by_b = read(client, world, "other_member", intro["id"])
    assert contacts(seen_by_b) == (None, None)
    assert seen_by_b["message"] == MESSAGE
    assert client.get("/v1/introductions", headers=world.headers("other_member")).json()["total"] == 1

    def outsiders_see_nothing() -> None:
        assert client.get(f"/v1/introductions/{intro['id']}", headers=world.headers("third")).status_code == 404
        assert client.get("/v1/introductions", headers=world.headers("third")).json()["total"] == 0
        assert client.get(f"/v1/introductions/{intro['id']}").status_code == 401
        assert client.get("/v1/introductions").status_code == 401
        assert client.get(f"/v1/introductions/{intro['id']}", headers=world.headers("lab")).status_code == 403

    outsiders_see_nothing()
    # A third member cannot answer for the member asked, nor can the asker answer itself.
    assert client.post(f"/v1/introductions/{intro['id']}/accept", json={},
                       headers=world.headers("third")).status_code == 404
    assert client.post(f"/v1/introductions/{intro['id']}/accept", json={},
                       headers=world.headers("member")).status_code == 403

    accepted = client.post(f"/v1/introductions/{intro['id']}/accept", json={"reply": "ぜひお話ししましょう。"},
                           headers=world.headers("other_member"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["asker"]["contact"] == CONTACT_A
    seen_by_a = read(client, world, "member", intro["id"])
    assert seen_by_a["recipient"]["contact"] == CONTACT_B
    assert seen_by_a["reply"] == "ぜひお話ししましょう。"
    assert read(client, world, "other_member", intro["id"])["asker"]["contact"] == CONTACT_A
    outsiders_see_nothing()
    # The directory still keeps the contacts private.
    org_b = client.get("/v1/organizations/ORG-B", headers=world.headers("member")).json()
    assert "contact" not in org_b

    # Answered once: a second answer is a conflict, not a change of mind.
    again = client.post(f"/v1/introductions/{intro['id']}/decline", json={}, headers=world.headers("other_member"))
    assert again.status_code == 409
    assert "only possible while it is requested" in again.json()["detail"]


def test_declined_keeps_the_askers_contact_hidden_and_the_pair_is_not_suggested_again(matching_client: TestClient,
                                                                                     world: World) -> None:
    def seeds(**params: Any) -> list[dict[str, Any]]:
        response = matching_client.get("/v1/needs/N-A1/matches", params=params, headers=world.headers("member"))
        assert response.status_code == 200, response.text
        return list(response.json()["matches"])

    assert "S-B1" in [m["seed"] for m in seeds()]
    intro = ask(matching_client, world)
    asked = next(m for m in seeds() if m["seed"] == "S-B1")
    assert asked["introduction"] == {"id": intro["id"], "state": "requested", "asked_by_you": True}

    declined = matching_client.post(f"/v1/introductions/{intro['id']}/decline", json={"reply": "今回は見送ります。"},
                                    headers=world.headers("other_member"))
    assert declined.status_code == 200, declined.text
    for role in ("member", "other_member"):
        seen = read(matching_client, world, role, intro["id"])
        assert seen["state"] == "declined"
        assert contacts(seen) == (None, None)
    assert "hakata-sensor" not in matching_client.get(f"/v1/introductions/{intro['id']}",
                                                      headers=world.headers("other_member")).text

    # Gone from the asker's matches for the need, and from its partners; shown, marked, when asked for.
    assert "S-B1" not in [m["seed"] for m in seeds()]
    shown = next(m for m in seeds(include_seen="true") if m["seed"] == "S-B1")
    assert shown["introduction"] == {"id": intro["id"], "state": "declined", "asked_by_you": True}
    partners = matching_client.get("/v1/organizations/ORG-A/partners", headers=world.headers("member")).json()
    assert ("N-A1", "S-B1") not in [(p["need"], p["seed"]) for x in partners["partners"] for p in x["pairs"]]
    # Only for the asker: the member that declined still sees its side of the pair.
    needs = matching_client.get("/v1/seeds/S-B1/matches", headers=world.headers("other_member")).json()
    assert "N-A1" in [m["need"] for m in needs["matches"]]

    again = matching_client.post("/v1/introductions", json=PAIR | {"message": MESSAGE},
                                 headers=world.headers("member"))
    assert again.status_code == 409
    assert "declined introduction" in again.json()["detail"]


def test_one_open_request_per_pair_and_the_asker_may_withdraw(client: TestClient, world: World) -> None:
    intro = ask(client, world)
    for role in ("member", "other_member"):  # whichever side asks, the pair has its open request
        response = client.post("/v1/introductions", json=PAIR | {"message": MESSAGE}, headers=world.headers(role))
        assert response.status_code == 409
        assert "open introduction request" in response.json()["detail"]
    assert client.post(f"/v1/introductions/{intro['id']}/withdraw",
                       headers=world.headers("other_member")).status_code == 403
    withdrawn = client.post(f"/v1/introductions/{intro['id']}/withdraw", headers=world.headers("member"))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert client.post(f"/v1/introductions/{intro['id']}/accept", json={},
                       headers=world.headers("other_member")).status_code == 409
    # The other member may now ask about the same pair itself (its seed, ORG-A's need).
    reverse = ask(client, world, "other_member")
    assert (reverse["asker"]["id"], reverse["recipient"]["id"]) == ("ORG-B", "ORG-A")


@pytest.mark.parametrize(("role", "body", "status", "code"), [
    ("member", {"message": ""}, 422, "must not be empty"),
    ("member", {"message": "   "}, 422, "must not be empty"),
    ("member", {"message": "あ" * 1001}, 422, None),
    ("member", {"need": "N-A1", "seed": "S-A1"}, 422, "belong to the same member"),
    ("member", {"need": "N-C1", "seed": "S-B1"}, 403, "Ask about a pair with one of your own"),
    ("member", {"need": "N-A1", "seed": "S-404"}, 404, "S-404"),
    ("secretariat", {}, 403, "Introductions are asked for by members"),
    ("lab", {}, 403, None),
])
def test_asking_is_for_a_member_about_its_own_pair_with_a_short_message(client: TestClient, world: World, role: str,
                                                                       body: dict[str, Any], status: int,
                                                                       code: str | None) -> None:
    response = client.post("/v1/introductions", json=PAIR | {"message": MESSAGE} | body, headers=world.headers(role))
    assert response.status_code == status, response.text
    if code:
        assert code in response.json()["detail"]
    japanese = client.post("/v1/introductions", json=PAIR | {"message": MESSAGE} | body,
                           headers=world.headers(role, **{"Accept-Language": "ja"}))
    assert japanese.status_code == status
    assert japanese.headers["Content-Language"] == "ja"


def test_steps_after_accept_count_as_feedback_on_the_dashboard(client: TestClient, world: World) -> None:
    intro = ask(client, world)
    early = client.post(f"/v1/introductions/{intro['id']}/steps", json={"step": "contacted"},
                        headers=world.headers("member"))
    assert early.status_code == 409
    client.post(f"/v1/introductions/{intro['id']}/accept", json={}, headers=world.headers("other_member"))
    for role, step in (("member", "contacted"), ("other_member", "met"), ("member", "deal")):
        response = client.post(f"/v1/introductions/{intro['id']}/steps", json={"step": step, "note": f"{step}!"},
                               headers=world.headers(role))
        assert response.status_code == 200, response.text
    seen = read(client, world, "other_member", intro["id"])
    assert [(e["kind"], e["by"]) for e in seen["events"]] == [
        ("requested", "ORG-A"), ("accepted", "ORG-B"), ("contacted", "ORG-A"), ("met", "ORG-B"), ("deal", "ORG-A")]
    summary = client.get("/v1/feedback/summary", headers=world.headers("secretariat")).json()
    need = next(n for n in summary["needs"] if n["id"] == "N-A1")
    assert need["counts"] == {"met": 1, "deal": 1}  # each member's latest word counts once
    assert client.post(f"/v1/introductions/{intro['id']}/steps", json={"step": "interested"},
                       headers=world.headers("member")).status_code == 422


def test_the_secretariat_queue_filters_notes_nudges_and_brokers(client: TestClient, world: World,
                                                                 session: Session) -> None:
    old = ask(client, world)
    fresh = ask(client, world, "other_member", need="N-B1", seed="S-A1")
    session.execute(update(Introduction).where(Introduction.id == old["id"])
                    .values(created_at=utcnow() - timedelta(days=10)))
    session.commit()

    def queue(**params: Any) -> list[int]:
        response = client.get("/v1/introductions", params=params, headers=world.headers("secretariat"))
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert queue() == [fresh["id"], old["id"]]
    assert queue(older_than_days=7) == [old["id"]]
    assert queue(state="accepted") == []
    assert client.get("/v1/introductions", params={"state": "lost"},
                      headers=world.headers("secretariat")).status_code == 422

    note = client.post(f"/v1/introductions/{old['id']}/notes", json={"note": "電話で背中を押す"},
                       headers=world.headers("secretariat"))
    assert note.status_code == 200
    assert note.json()["events"][-1]["kind"] == "note"
    # Members do not see the secretariat's notes, and may not write them.
    assert "電話で背中を押す" not in client.get(f"/v1/introductions/{old['id']}",
                                                headers=world.headers("other_member")).text
    assert client.post(f"/v1/introductions/{old['id']}/notes", json={"note": "x"},
                       headers=world.headers("member")).status_code == 403

    nudged = client.post(f"/v1/introductions/{old['id']}/nudge", headers=world.headers("secretariat"))
    assert nudged.status_code == 200, nudged.text
    assert nudged.json()["last_nudged_at"] is not None
    twice = client.post(f"/v1/introductions/{old['id']}/nudge", headers=world.headers("secretariat"))
    assert twice.status_code == 409
    assert "nudged recently" in twice.json()["detail"]

    brokered = client.post(f"/v1/introductions/{fresh['id']}/broker", json={"note": "商談会で紹介します"},
                           headers=world.headers("secretariat"))
    assert brokered.status_code == 200
    assert brokered.json()["state"] == "brokered"
    assert queue(state="brokered") == [fresh["id"]]
    # Brokered: the members cannot answer any more, but record how far they got.
    assert client.post(f"/v1/introductions/{fresh['id']}/accept", json={},
                       headers=world.headers("member")).status_code == 409
    assert client.post(f"/v1/introductions/{fresh['id']}/steps", json={"step": "met"},
                       headers=world.headers("member")).status_code == 200


def test_unknown_and_out_of_range_ids_are_404_and_422(client: TestClient, world: World) -> None:
    assert client.get("/v1/introductions/999", headers=world.headers("secretariat")).status_code == 404
    assert client.get(f"/v1/introductions/{2**40}", headers=world.headers("secretariat")).status_code == 422


SITE = "https://match.example.jp"
ASKER = "博多センサー工業株式会社"
RECIPIENT = "佐賀機器システム株式会社"


@pytest.fixture
def mail_client(smtp_server: Mailbox, database_url: str, world: World, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with its outbox worker running inline, sending to the test's SMTP server."""
    monkeypatch.setenv("IOTMATCH_PUBLIC_URL", SITE)  # mails' links are read from the environment's settings
    get_settings.cache_clear()
    settings = Settings(database_url=database_url, data_dir=tmp_path / "var", rate_limit_per_minute=0,
                        auth_failures_per_minute=0, anonymous_searches_per_minute=0, worker_poll_seconds=0.05,
                        public_url=SITE)
    with TestClient(create_app(settings, load_matching=False)) as test_client:
        yield test_client


def reveals(text: str, contact: dict[str, str]) -> list[str]:
    return [value for value in contact.values() if value in text]


def test_the_mails_of_an_accepted_and_a_declined_introduction_arrive_with_the_right_contacts(
        mail_client: TestClient, world: World, smtp_server: Mailbox) -> None:
    intro = ask(mail_client, world)
    [request] = smtp_server.wait_for_mail_to(CONTACT_B["email"])
    assert ASKER in str(request["Subject"])
    text, html = smtp_server.text(request), smtp_server.html(request)
    assert text.startswith(f"{CONTACT_B['name']} 様")
    assert MESSAGE in text
    assert MESSAGE in html
    assert smtp_server.link(request, "/introductions/") == f"{SITE}/introductions/{intro['id']}"
    assert reveals(text, CONTACT_A) == []
    assert reveals(html, CONTACT_A) == []
    assert smtp_server.to(CONTACT_A["email"]) == []

    mail_client.post(f"/v1/introductions/{intro['id']}/accept", json={"reply": "ぜひ。"},
                     headers=world.headers("other_member"))
    [to_a] = smtp_server.wait_for_mail_to(CONTACT_A["email"])
    [_, to_b] = smtp_server.wait_for_mail_to(CONTACT_B["email"], 2)
    assert RECIPIENT in str(to_a["Subject"])
    assert ASKER in str(to_b["Subject"])
    assert reveals(smtp_server.text(to_a), CONTACT_B) == list(CONTACT_B.values())
    assert reveals(smtp_server.html(to_a), CONTACT_B) == list(CONTACT_B.values())
    assert reveals(smtp_server.text(to_b), CONTACT_A) == list(CONTACT_A.values())
    assert "ぜひ。" in smtp_server.text(to_a)

    # The other way round, declined: the asker (ORG-B) hears so; nobody gets the other's contact.
    second = ask(mail_client, world, "other_member", need="N-B1", seed="S-A1")
    [_, request_to_a] = smtp_server.wait_for_mail_to(CONTACT_A["email"], 2)
    assert reveals(smtp_server.text(request_to_a), CONTACT_B) == []
    mail_client.post(f"/v1/introductions/{second['id']}/decline", json={"reply": "今回は見送ります。"},
                     headers=world.headers("member"))
    [_, _, declined] = smtp_server.wait_for_mail_to(CONTACT_B["email"], 3)
    assert ASKER in str(declined["Subject"])
    assert "今回は見送ります。" in smtp_server.text(declined)
    assert reveals(smtp_server.text(declined), CONTACT_A) == []
    assert reveals(smtp_server.html(declined), CONTACT_A) == []
    assert len(smtp_server.settle()) == 5  # each once: request, two on accept, request, decline


def test_an_unanswered_request_is_nudged_once_per_period(mail_client: TestClient, world: World, session: Session,
                                                         smtp_server: Mailbox) -> None:
    intro = ask(mail_client, world)
    smtp_server.wait_for_mail_to(CONTACT_B["email"])
    factory = make_session_factory(session.get_bind())  # type: ignore[arg-type]
    assert jobs.nudge_unanswered(factory) == 0  # asked just now

    session.execute(update(Introduction).where(Introduction.id == intro["id"])
                    .values(created_at=utcnow() - timedelta(days=8)))
    session.commit()
    assert jobs.nudge_unanswered(factory) == 1
    assert jobs.nudge_unanswered(factory) == 0  # once per period, however often the job runs
    [_, reminder] = smtp_server.wait_for_mail_to(CONTACT_B["email"], 2)
    assert ASKER in str(reminder["Subject"])
    assert "8 日前" in smtp_server.text(reminder)
    assert smtp_server.link(reminder, "/introductions/") == f"{SITE}/introductions/{intro['id']}"
    # The secretariat's button keeps to the same period.
    assert mail_client.post(f"/v1/introductions/{intro['id']}/nudge",
                            headers=world.headers("secretariat")).status_code == 409

    # A period later, unanswered still: one more reminder.
    session.execute(update(Introduction).where(Introduction.id == intro["id"])
                    .values(last_nudged_at=utcnow() - timedelta(days=8)))
    session.commit()
    assert jobs.nudge_unanswered(factory) == 1
    smtp_server.wait_for_mail_to(CONTACT_B["email"], 3)
    events = read(mail_client, world, "secretariat", intro["id"])["events"]
    assert [e["kind"] for e in events] == ["requested", "nudged", "nudged"]
    # Answered requests are never nudged.
    mail_client.post(f"/v1/introductions/{intro['id']}/accept", json={}, headers=world.headers("other_member"))
    session.execute(update(Introduction).where(Introduction.id == intro["id"])
                    .values(last_nudged_at=utcnow() - timedelta(days=30)))
    session.commit()
    assert jobs.nudge_unanswered(factory) == 0
    assert len(smtp_server.settle()) == 5  # request, two reminders, two on accept


def test_two_members_asking_about_a_pair_at_once_get_one_request_and_a_409(database_url: str, world: World,
                                                                          session: Session) -> None:
    """The second request's check runs before the first is committed: the database's open-pair index decides."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    try:
        def ask_as(db: Session, org: str) -> Introduction:
            need = db.scalars(select(Need).where(Need.external_id == "N-A1")).one()
            seed = db.scalars(select(Seed).where(Seed.external_id == "S-B1")).one()
            member = db.scalars(select(Organization).where(Organization.external_id == org)).one()
            return service.ask(db_session=db, need=need, seed=seed, message=MESSAGE, actor=Actor(org, member))

        late = factory()

        fired: list[bool] = []

        def the_other_commits_first(*_: Any) -> None:
            if fired:
                return
            fired.append(True)
            with session_scope(factory) as first:
                ask_as(first, "ORG-B")

        event.listen(late, "before_flush", the_other_commits_first)
        with pytest.raises(Conflict) as refused:
            ask_as(late, "ORG-A")
        late.rollback()
        late.close()
        assert "open introduction request" in refused.value.message
        assert session.scalar(select(func.count()).select_from(Introduction)) == 1
    finally:
        engine.dispose()


def _member(db: Session, org: str) -> Actor:
    return Actor(org, db.scalars(select(Organization).where(Organization.external_id == org)).one())


@pytest.mark.parametrize(("first", "late"), [("decline", "accept"), ("accept", "decline"), ("accept", "accept"),
                                             ("withdraw", "accept"), ("accept", "withdraw")])
def test_two_answers_at_once_change_the_request_once_and_mail_only_the_winner(
        client: TestClient, database_url: str, world: World, session: Session, first: str, late: str) -> None:
    """The late step read the request while it was still open; the other step commits before it writes."""
    intro_id = ask(client, world)["id"]
    engine = make_engine(database_url)
    factory = make_session_factory(engine)

    def step(db: Session, name: str, intro: Introduction) -> None:
        org = "ORG-A" if name == "withdraw" else "ORG-B"
        if name == "withdraw":
            service.withdraw(db_session=db, intro=intro, actor=_member(db, org))
        else:
            getattr(service, name)(db_session=db, intro=intro, reply=None, actor=_member(db, org))

    try:
        stale = factory()
        intro = service.get_introduction(db_session=stale, introduction_id=intro_id)
        assert intro.state == "requested"
        with session_scope(factory) as db:
            step(db, first, service.get_introduction(db_session=db, introduction_id=intro_id))
        with pytest.raises(Conflict) as refused:
            step(stale, late, intro)
        stale.rollback()
        stale.close()
    finally:
        engine.dispose()
    winner = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[first]
    assert f"is {winner}; that step is only possible while it is requested" in refused.value.message
    state = session.scalar(select(Introduction.state).where(Introduction.id == intro_id))
    assert state == winner
    kinds = [e["kind"] for e in read(client, world, "secretariat", intro_id)["events"]]
    assert kinds == ["requested", winner]
    keys = set(session.scalars(select(OutboxMessage.idempotency_key)))
    assert any(f":{winner}:" in key for key in keys) == (winner != "withdrawn")
    assert not [key for key in keys if ":requested:" not in key and f":{winner}:" not in key]


def test_the_secretariats_reminder_racing_the_job_sends_one_reminder(client: TestClient, database_url: str,
                                                                     world: World, session: Session) -> None:
    intro_id = ask(client, world)["id"]
    session.execute(update(Introduction).where(Introduction.id == intro_id)
                    .values(created_at=utcnow() - timedelta(days=8)))
    session.commit()
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    period = timedelta(days=7)
    try:
        stale = factory()
        intro = service.get_introduction(db_session=stale, introduction_id=intro_id)  # the button's read
        with session_scope(factory) as db:
            assert service.nudge_unanswered(db_session=db, days=7) == 1
        with pytest.raises(Conflict) as refused:
            service.nudge(db_session=stale, intro=intro, period=period, actor=Actor("secretariat-key-1"))
        stale.rollback()
        stale.close()
        # And the other way round: the job passes over the request the button has just nudged.
        with session_scope(factory) as db:
            db.execute(update(Introduction).where(Introduction.id == intro_id)
                       .values(last_nudged_at=utcnow() - timedelta(days=8)))
        job = factory()
        [seen] = job.scalars(select(Introduction).where(Introduction.id == intro_id))
        with session_scope(factory) as db:
            service.nudge(db_session=db, intro=service.get_introduction(db_session=db, introduction_id=intro_id),
                          period=period, actor=Actor("secretariat-key-1"))
        with pytest.raises(Conflict):
            service.nudge(db_session=job, intro=seen, period=period, actor=Actor(service.NUDGE_ACTOR))
        job.rollback()
        job.close()
    finally:
        engine.dispose()
    assert "nudged recently" in refused.value.message
    kinds = [e["kind"] for e in read(client, world, "secretariat", intro_id)["events"]]
    assert kinds == ["requested", "nudged", "nudged"]
    keys = sorted(k for k in session.scalars(select(OutboxMessage.idempotency_key)) if ":nudge-" in k)
    assert [k.split(":")[2] for k in keys] == ["nudge-1", "nudge-2"]
