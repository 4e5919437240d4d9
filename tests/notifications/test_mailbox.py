"""The test SMTP server itself: what a plain SMTP client sends arrives parsed, and an outage refuses connections."""

import smtplib
from email.message import EmailMessage

import pytest

from tests.mail import Mailbox


def _send(mailbox: Mailbox, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "secretariat@example.jp"
    message["To"] = "博多 花子 <hanako@hakata-sensor.example.jp>"
    message["Subject"] = subject
    message.set_content("リンク: https://match.example.jp/signin/abc?x=1 をどうぞ")
    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=5) as client:
        client.send_message(message)


def test_receives_and_parses(smtp_server: Mailbox) -> None:
    _send(smtp_server, "サインインのご案内")
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "サインインのご案内"
    assert smtp_server.to("hanako@hakata-sensor.example.jp") == [mail]
    assert smtp_server.link(mail, "/signin/") == "https://match.example.jp/signin/abc?x=1"


def test_stop_refuses_and_start_listens_again(smtp_server: Mailbox) -> None:
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        _send(smtp_server, "down")
    smtp_server.start()
    _send(smtp_server, "up")
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["up"]
