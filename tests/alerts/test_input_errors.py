"""What a caller can get wrong is a 4xx saying what to fix, never a 500: ids beyond the database's integers,
webhook URLs too long or not http(s), and the same first write made twice at once."""

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts import service
from app.alerts.models import AlertOptOut, AlertPreference
from app.db import make_engine, make_session_factory
from app.roster.models import Organization
from app.schemas import DB_INT
from tests.alerts.conftest import Alerts

TOO_BIG = DB_INT + 1


def test_ids_beyond_the_database_integers_are_refused(alerts: Alerts) -> None:
    for path, role in ((f"/v1/alerts/searches/{TOO_BIG}", "member"), (f"/v1/alerts/webhooks/{TOO_BIG}", "lab")):
        response = alerts.client.delete(path, headers=alerts.world.headers(role))
        assert response.status_code == 422, response.text
    marked = alerts.client.post("/v1/alerts/notifications/read", json={"ids": [TOO_BIG]},
                                headers=alerts.world.headers("member"))
    assert marked.status_code == 422, marked.text
    signed_in = alerts.client.post("/signin", data={"api_key": alerts.world.tokens["member"],
                                                    "csrf": _csrf(alerts, "/signin")}, follow_redirects=False)
    assert signed_in.status_code == 303
    page = alerts.client.post(f"/me/alerts/searches/{TOO_BIG}/delete", data={"csrf": _csrf(alerts, "/me/alerts")})
    assert page.status_code in (404, 422), page.text


def _csrf(alerts: Alerts, path: str) -> str:
    text = alerts.client.get(path).text
    return text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_webhook_urls_too_long_or_not_http_are_refused(alerts: Alerts) -> None:
    for url in (f"https://lab.example.jp/{'a' * 2000}", "ftp://lab.example.jp/hook", "javascript:alert(1)"):
        response = alerts.client.post("/v1/alerts/webhooks", json={"url": url}, headers=alerts.world.headers("lab"))
        assert response.status_code == 422, response.text
        assert "url" in response.text
    assert alerts.get("/v1/alerts/webhooks", "lab") == []


def test_the_same_first_write_twice_at_once_is_no_error(database_url: str, session: Session, alerts: Alerts) -> None:
    org_id = session.scalar(select(Organization.id).where(Organization.external_id == "ORG-A"))
    assert org_id is not None
    db = make_engine(database_url)
    factory = make_session_factory(db)
    first, second = factory(), factory()
    outcome: dict[str, object] = {}

    def later(name: str, write: object) -> None:
        try:
            outcome[name] = write()  # type: ignore[operator]
            second.commit()
        except Exception as exc:  # noqa: BLE001 - the test reports what the second writer got
            outcome[name] = exc
            second.rollback()

    try:
        # The first writer has checked and inserted, not yet committed, when the second does the same.
        for name, write_first, write_second in (
                ("unsubscribe", lambda: service.unsubscribe(first, org_id, "hanako@example.jp"),
                 lambda: service.unsubscribe(second, org_id, "hanako@example.jp")),
                ("preference", lambda: service.update_preference(first, org_id, {"email_mode": "digest"}),
                 lambda: service.update_preference(second, org_id, {"language": "en"}))):
            write_first()
            thread = threading.Thread(target=later, args=(name, write_second))
            thread.start()
            time.sleep(0.5)
            first.commit()
            thread.join(30)
            assert not isinstance(outcome[name], Exception), outcome[name]
        assert outcome["unsubscribe"] is False
        check = factory()
        assert check.scalar(select(func.count(AlertOptOut.id))) == 1
        stored = check.get(AlertPreference, org_id)
        assert stored is not None
        assert (stored.email_mode, stored.language) == ("digest", "en")
        check.close()
    finally:
        first.close()
        second.close()
        db.dispose()
