"""Account commands: `iotmatch accounts add-staff | remove-staff | list`, for the secretariat's desk."""

from typing import Annotated

import typer

from app.accounts import service
from app.cli_support import cli_language, cli_session, fail, message
from app.errors import AppError

accounts_cli = typer.Typer(help="People who sign in by e-mail: the secretariat's staff, members' people.",
                           no_args_is_help=True)
Email = Annotated[str, typer.Argument(help="the e-mail address")]


@accounts_cli.command("add-staff")
def add_staff_command(email: Email) -> None:
    """Let the address sign in to the pages as the secretariat's staff (by e-mail link)."""
    try:
        with cli_session() as session:
            person = service.add_staff(session, email=service.normalize_email(email))
            person_id, address = person.id, person.email
    except AppError as exc:
        fail(message(exc, cli_language(None)))
    typer.echo(f"{address} signs in as the secretariat's staff (person {person_id})")


@accounts_cli.command("remove-staff")
def remove_staff_command(email: Email) -> None:
    """Stop the address signing in as staff; its sessions end at once."""
    try:
        with cli_session() as session:
            service.remove_staff(session, email=service.normalize_email(email))
    except AppError as exc:
        fail(message(exc, cli_language(None)))
    typer.echo(f"{email.strip().lower()} no longer signs in as staff")


@accounts_cli.command("list")
def list_command() -> None:
    """Every person: id, address, role, member, joined, last sign-in, removed."""
    with cli_session() as session:
        for person in service.list_people(session):
            member = person.organization.external_id if person.organization else "-"
            last = person.last_sign_in_at.isoformat(timespec="seconds") if person.last_sign_in_at else "never"
            state = f"removed {person.removed_at.isoformat(timespec='seconds')}" if person.removed_at else "active"
            typer.echo(f"{person.id}\t{person.email}\t{person.role}\t{member}\t"
                       f"joined {person.created_at.isoformat(timespec='seconds')}\tsigned in {last}\t{state}")


def register(cli: typer.Typer) -> None:
    """Add the account commands to the main CLI."""
    cli.add_typer(accounts_cli, name="accounts")
