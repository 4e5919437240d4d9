"""Key commands: `iotmatch keys create | list | revoke`, for bootstrapping and for the secretariat's desk."""

from enum import StrEnum
from typing import Annotated

import typer

from app.auth import service as auth_service
from app.auth.models import KEY_ROLES
from app.cli_support import cli_session, fail
from app.errors import AppError

keys_cli = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
KeyRole = StrEnum("KeyRole", {role: role for role in KEY_ROLES})  # type: ignore[misc]


@keys_cli.command("create")
def create_command(
    role: Annotated[KeyRole, typer.Option(help="what the key may do", case_sensitive=False)],
    org: Annotated[str | None, typer.Option("--org", help="member keys: the organization id (ORG-…)")] = None,
    lab: Annotated[str | None, typer.Option("--lab", help="lab keys: the lab id")] = None,
    name: Annotated[str, typer.Option(help="who uses the key, for what")] = "",
) -> None:
    """Issue a key and print it once: store it now, it cannot be shown again."""
    try:
        with cli_session() as session:
            key, token = auth_service.create_key(db_session=session, role=str(role), organization=org, lab=lab,
                                                 name=name)
            key_id = key.id
    except AppError as exc:
        fail(exc.message)
    typer.echo(token)
    typer.echo(f"key {key_id} ({role.value}) created; this is the only time it is shown.", err=True)


@keys_cli.command("list")
def list_command() -> None:
    """Every key: id, prefix, role, whose, name, created, last used, revoked."""
    with cli_session() as session:
        for key in auth_service.list_keys(db_session=session, everyone=True):
            whose = key.organization.external_id if key.organization else (key.lab_id or "-")
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            revoked = f"revoked {key.revoked_at.isoformat(timespec='seconds')}" if key.revoked_at else "active"
            typer.echo(f"{key.id}\tiotm_{key.prefix}\t{key.role}\t{whose}\t{key.name or '-'}\t"
                       f"created {key.created_at.isoformat(timespec='seconds')}\tused {used}\t{revoked}")


@keys_cli.command("revoke")
def revoke_command(key_id: Annotated[int, typer.Argument(help="the key's id, from `keys list`")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    try:
        with cli_session() as session:
            auth_service.revoke_key(db_session=session, key=auth_service.get_key(db_session=session, key_id=key_id))
    except AppError as exc:
        fail(exc.message)
    typer.echo(f"key {key_id} revoked")


def register(cli: typer.Typer) -> None:
    """Add the key commands to the main CLI."""
    cli.add_typer(keys_cli, name="keys")
