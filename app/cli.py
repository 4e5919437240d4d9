"""The iotmatch command line: the same services the API calls."""

import errno
import re
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from tqdm import tqdm

from app import migrate
from app.cli_support import cli_session, existing_database_url, fail, fail_with_problems
from app.config import get_settings
from app.db import normalize_url
from app.errors import AppError
from app.roster.exchange import export_roster, import_roster
from app.roster.files import read_roster_file, write_roster_file
from app.roster.validation import RosterInvalid
from app.seeding import service as seeding

cli = typer.Typer(help="iotmatch: business matching for the Kyushu IoT community.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")

PROGRESS_THRESHOLD = 200  # records; smaller files import too fast for a bar to help


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision id; the latest by default")] = "head",
) -> None:
    """Bring the database to the latest schema (creates it if empty)."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="what the revision changes, e.g. 'matching events'")],
    revision_id: Annotated[str, typer.Option("--id", help="the next id, e.g. 0006_events")],
) -> None:
    """Write a new migration from the differences between the models and the database (which must be at head)."""
    if not re.fullmatch(r"\d{4}_[a-z0-9_]+", revision_id):
        fail(f"--id {revision_id!r}: use the next number and a slug, e.g. 0006_events")
    path = migrate.revision(existing_database_url(), message, revision_id)
    typer.echo(f"wrote {path}; review it, then `iotmatch db upgrade`")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision id, or 'base'")]) -> None:
    """Step the schema back to REVISION ('base' drops every table)."""
    migrate.downgrade(existing_database_url(), revision)
    typer.echo(f"database at {revision}")


def _progress(total: int) -> Any:
    if total < PROGRESS_THRESHOLD:
        return iter
    return lambda items: tqdm(items, total=total, desc="importing", unit="org", file=sys.stderr)


def run_import(path: Path, *, prune: bool, dry_run: bool = False) -> dict[str, Any]:
    """Import one roster file (or only report what it would change); raises RosterInvalid or AppError."""
    data = read_roster_file(path)
    records = len(data.get("organizations") or []) if isinstance(data, dict) else 0
    with cli_session() as session:
        report = import_roster(session, data, prune=prune, progress=_progress(records))
        if dry_run:
            session.rollback()
    return report.as_dict()


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="roster .json, .xlsx, or a folder of CSV files")],
    prune: Annotated[bool, typer.Option(help="remove members, needs and seeds the file no longer lists")] = False,
    dry_run: Annotated[bool, typer.Option(help="check the file and report what would change, writing nothing")] = False,
) -> None:
    """Import a roster (upsert by id). Any invalid record aborts the whole import."""
    try:
        report = run_import(file, prune=prune, dry_run=dry_run)
    except RosterInvalid as exc:
        fail_with_problems(exc.problems, "nothing was imported")
    except AppError as exc:
        fail(exc.message)
    if dry_run:
        typer.echo("dry run: the file is valid; nothing was written. It would change:")
    _print_import_report(report, prune)


def _print_import_report(report: dict[str, Any], prune: bool) -> None:
    for kind in ("organizations", "needs", "seeds"):
        typer.echo(f"{kind}: {report['created'][kind]} created, {report['updated'][kind]} updated, "
                   f"{report['unchanged'][kind]} unchanged")
        missing = report["missing"][kind]
        if missing:
            verb = "removed" if prune else "not in the file (kept; use --prune to remove)"
            typer.echo(f"  {len(missing)} {verb}: {', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}")


@cli.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="output .json or .xlsx, or a folder for CSV files")],
) -> None:
    """Export the whole roster in the exchange format (or as a workbook or CSV files)."""
    with cli_session() as session:
        roster = export_roster(session)
    try:
        write_roster_file(roster, file)
    except AppError as exc:
        fail(exc.message)
    typer.echo(f"wrote {len(roster['organizations'])} organizations to {file}")


@cli.command("seed")
def seed_command() -> None:
    """Load the shipped community data (labs, demo members, support programs) into a new database, once."""
    with cli_session() as session:
        report = seeding.load_shipped_data(db_session=session)
    if not report.loaded:
        typer.echo("seed data already loaded; nothing changed")
        return
    for part, loaded in report.loaded.items():
        typer.echo(f"{part}: loaded {loaded}")
    for part, existing in report.kept.items():
        typer.echo(f"{part}: not loaded; the database has its own ({existing}), which the seed never changes")


def check_port_free(host: str, port: int) -> None:
    """Fail in plain words when the service could not listen there, before it spends a minute loading the model."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closed port is free
        try:
            sock.bind((host, port))
        except OSError as exc:
            other = 8001 if port != 8001 else 8002
            how = (f"Start it on another port: `iotmatch serve --port {other}`, or set IOTMATCH_PORT "
                   f"(`IOTMATCH_PORT={other} make run`).")
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use (is iotmatch already running?). {how}")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}. {how} The address is --host or IOTMATCH_HOST.")


@cli.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Run the HTTP API and web pages with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    existing_database_url()
    check_port_free(host, port)

    import uvicorn

    from app.main import create_app
    from app.observability import configure_logging

    configure_logging(settings.log_level)
    # uvicorn's loggers go to the JSON handler; the app writes its own access log with the request id.
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level, log_config=None,
                access_log=False)


def _register_subcommands() -> None:
    from app.auth import cli as keys_cli
    from app.events import cli as events_cli
    from app.labs import cli as labs_cli
    from app.matches import cli as match_cli
    from app.programs import cli as programs_cli

    keys_cli.register(cli)
    events_cli.register(cli)
    labs_cli.register(cli)
    match_cli.register(cli)
    programs_cli.register(cli)


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    try:
        cli()
    except (OperationalError, ProgrammingError) as exc:
        # An unreachable server or a database without the schema: say so instead of a traceback.
        url = make_url(normalize_url(get_settings().database_url)).render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        typer.secho(f"database {url}: {reason}\nIs it reachable, and has `iotmatch db upgrade` been run?",
                    fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
