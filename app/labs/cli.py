"""Lab commands: `iotmatch labs show | allow-origin | remove-origin`, for the secretariat registering lab sites."""

import json
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.cli_support import cli_session, fail
from app.config import get_settings
from app.errors import AppError, NotFound
from app.labs import service as lab_service
from app.labs.models import Lab
from app.labs.schemas import LabRead

labs_cli = typer.Typer(help="The regional IoT labs and the web origins of their sites.", no_args_is_help=True)
LabId = Annotated[str, typer.Argument(help="the lab's id, e.g. lab-fukuoka-pref (`iotmatch labs show` lists them)")]
OriginArg = Annotated[str, typer.Argument(help="the site's origin as browsers send it, e.g. https://iot-lab.example.jp")]


def _lab(session: Session, lab_id: str) -> Lab:
    try:
        return lab_service.get_lab(db_session=session, lab_id=lab_id)
    except NotFound:
        fail(f"no lab {lab_id!r}; `iotmatch labs show` lists them")


def _describe(lab: Lab) -> list[str]:
    origins = ", ".join(lab.allowed_origins or []) or "none (no site may embed the search or call the API)"
    return [f"{lab.id}\t{lab.name}\t{lab.prefecture}{' ' + lab.city if lab.city else ''}",
            f"  focus: {'・'.join(lab.focus_fields or []) or '-'} (JSIC {', '.join(lab.industries or []) or '-'})",
            f"  origins: {origins}",
            f"  embed: /embed/search?lab={lab.id}"]


@labs_cli.command("show")
def show_command(
    lab_id: Annotated[str | None, typer.Argument(help="one lab's id; every lab without it")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The lab (or every lab): region, focus fields and the origins allowed to embed the search and call the API."""
    with cli_session() as session:
        labs = [_lab(session, lab_id)] if lab_id else lab_service.list_labs(db_session=session)
        if as_json:
            typer.echo(json.dumps([LabRead.model_validate(lab).model_dump(mode="json") for lab in labs],
                                  ensure_ascii=False, indent=2))
            return
        for lab in labs:
            typer.echo("\n".join(_describe(lab)))


def _changed(lab_id: str, origin: str, *, allow: bool) -> None:
    origin = origin.strip().rstrip("/")  # as browsers send it
    try:
        with cli_session() as session:
            lab = _lab(session, lab_id)
            change = lab_service.allow_origin if allow else lab_service.remove_origin
            changed = change(db_session=session, lab=lab, origin=origin)
            origins = list(lab.allowed_origins or [])
    except AppError as exc:
        fail(exc.message)
    verb = "allowed" if allow else "no longer allowed"
    typer.echo(f"{lab_id}: {origin} {verb}" if changed else
               f"{lab_id}: {origin} was {'already' if allow else 'not'} allowed; nothing changed")
    typer.echo(f"origins now: {', '.join(origins) or 'none'}")
    if changed:
        typer.echo(f"running servers apply it within {get_settings().cors_refresh_seconds:g} s "
                   "(IOTMATCH_CORS_REFRESH_SECONDS)")


@labs_cli.command("allow-origin")
def allow_origin_command(lab_id: LabId, origin: OriginArg) -> None:
    """Let the lab's site at ORIGIN show the search in an iframe and call the API with the lab's key."""
    _changed(lab_id, origin, allow=True)


@labs_cli.command("remove-origin")
def remove_origin_command(lab_id: LabId, origin: OriginArg) -> None:
    """Stop allowing ORIGIN for the lab."""
    _changed(lab_id, origin, allow=False)


def register(cli: typer.Typer) -> None:
    """Add the lab commands to the main CLI."""
    cli.add_typer(labs_cli, name="labs")
