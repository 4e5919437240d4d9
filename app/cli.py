"""The iotmatch command line: the same services the API calls."""

import errno
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from tqdm import tqdm

from app import migrate
from app.cli_support import cli_language, cli_session, existing_database_url, fail, message
from app.config import get_settings
from app.db import normalize_url
from app.errors import AppError, Conflict
from app.i18n import N_
from app.messages import error, phrase, render
from app.roster.exchange import export_roster, import_roster
from app.roster.files import is_spreadsheet, read_roster_file, write_roster_file
from app.roster.validation import RosterInvalid
from app.seeding import service as seeding

cli = typer.Typer(help="iotmatch: business matching for the Kyushu IoT community.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")

PROGRESS_THRESHOLD = 200  # records; smaller files import too fast for a bar to help
# Attempts of an import that another import of the same members overtook (it then sees their records).
IMPORT_ATTEMPTS = 3
KINDS = {"organizations": phrase("term.organizations"), "needs": phrase("term.needs"), "seeds": phrase("term.seeds")}
LangOption = Annotated[str | None, typer.Option("--lang", help="messages in ja or en (default: from LANG / LC_ALL)")]


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision id; the latest by default")] = "head",
) -> None:
    """Bring the database to the latest schema (creates it if empty)."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(render("cli.database_at", cli_language(None), {"revision": revision}))


@db_cli.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="what the revision changes, e.g. 'matching events'")],
    revision_id: Annotated[str, typer.Option("--id", help="the next id, e.g. 0006_events")],
) -> None:
    """Write a new migration from the differences between the models and the database (which must be at head)."""
    if not re.fullmatch(r"\d{4}_[a-z0-9_]+", revision_id):
        fail(render("cli.revision_id", cli_language(None), {"id": revision_id}))
    path = migrate.revision(existing_database_url(), message, revision_id)
    typer.echo(render("cli.revision_wrote", cli_language(None), {"path": path}))


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision id, or 'base'")]) -> None:
    """Step the schema back to REVISION ('base' drops every table)."""
    migrate.downgrade(existing_database_url(), revision)
    typer.echo(render("cli.database_at", cli_language(None), {"revision": revision}))


def _progress(total: int, lang: str) -> Any:
    if total < PROGRESS_THRESHOLD:
        return iter
    desc = render("cli.import_progress", lang, {})
    return lambda items: tqdm(items, total=total, desc=desc, unit="org", file=sys.stderr)


def _overtaken(exc: DBAPIError) -> bool:
    """Whether a write failed because another transaction wrote the same members first (or held them)."""
    if isinstance(exc, IntegrityError):  # the file was checked, so a duplicate id is one added meanwhile
        return True
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig)


def run_import(path: Path, *, prune: bool, dry_run: bool = False, lang: str = "en") -> dict[str, Any]:
    """Import one roster file (or only report what it would change); raises RosterInvalid or AppError.

    When another import writes the same new members at the same moment, this one starts again and finds
    them (so it updates or leaves them); Conflict if that keeps happening.
    """
    data = read_roster_file(path)
    from_sheet = is_spreadsheet(path)
    records = len(data.get("organizations") or []) if isinstance(data, dict) else 0
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            with cli_session() as session:
                report = import_roster(session, data, prune=prune, progress=_progress(records, lang),
                                       from_sheet=from_sheet)
                if dry_run:
                    session.rollback()
            return report.as_dict()
        except DBAPIError as exc:
            if not _overtaken(exc):
                raise
            if attempt == IMPORT_ATTEMPTS:
                raise error(Conflict, "roster.changed_underneath") from exc
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def _fail_with_roster_problems(exc: RosterInvalid, lang: str) -> NoReturn:
    for problem in exc.problems:
        typer.echo(render("cli.problem", lang, {"problem": problem.text(lang)}), err=True)
    fail(render("cli.nothing_imported", lang, {"count": len(exc.problems)}))


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="roster .json, .xlsx, or a folder of CSV files")],
    prune: Annotated[bool, typer.Option(help="remove members, needs and seeds the file no longer lists")] = False,
    dry_run: Annotated[bool, typer.Option(help="check the file and report what would change, writing nothing")] = False,
    lang: LangOption = None,
) -> None:
    """Import a roster (upsert by id). Any invalid record aborts the whole import."""
    language = cli_language(lang)
    try:
        report = run_import(file, prune=prune, dry_run=dry_run, lang=language)
    except RosterInvalid as exc:
        _fail_with_roster_problems(exc, language)
    except AppError as exc:
        fail(message(exc, language))
    if dry_run:
        typer.echo(render("cli.import_dry_run", language, {}))
    _print_import_report(report, prune, language)


def _print_import_report(report: dict[str, Any], prune: bool, lang: str) -> None:
    for kind, label in KINDS.items():
        typer.echo(render("cli.import_counts", lang, {
            "kind": label, "created": report["created"][kind], "updated": report["updated"][kind],
            "unchanged": report["unchanged"][kind]}))
        missing = report["missing"][kind]
        if missing:
            ids = f"{', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}"
            code = N_("cli.import_removed") if prune else N_("cli.import_missing")
            typer.echo(render(code, lang, {"count": len(missing), "ids": ids}))


@cli.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="output .json or .xlsx, or a folder for CSV files")],
    lang: LangOption = None,
) -> None:
    """Export the whole roster in the exchange format (or as a workbook or CSV files)."""
    language = cli_language(lang)
    with cli_session() as session:
        roster = export_roster(session)
    try:
        write_roster_file(roster, file)
    except AppError as exc:
        fail(message(exc, language))
    typer.echo(render("cli.export_wrote", language, {"count": len(roster["organizations"]), "path": file}))


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
            lang = cli_language(None)
            how = render("cli.port_how", lang, {"other": other})
            if exc.errno == errno.EADDRINUSE:
                fail(render("cli.port_in_use", lang, {"port": port, "host": host, "how": how}))
            fail(render("cli.cannot_listen", lang, {"host": host, "port": port, "reason": exc.strerror, "how": how}))


@cli.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes (IOTMATCH_WORKERS)")] = None,
) -> None:
    """Run the HTTP API and web pages with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    existing_database_url()
    check_port_free(host, port)

    import uvicorn

    from app.observability import configure_logging

    configure_logging(settings.log_level)
    # uvicorn's loggers go to the JSON handler; the app writes its own access log with the request id.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": settings.log_level, "log_config": None,
                               "access_log": False}
    if workers == 1:
        from app.main import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # The workers share their rate limits (see IOTMATCH_RATE_LIMIT_STORE): the settings say how many there are.
    os.environ["IOTMATCH_WORKERS"] = str(workers)
    get_settings.cache_clear()
    settings = get_settings()
    # Each worker's numpy would otherwise use every core: the workers then fight over them (at 100k seeds, 2
    # workers with 16 clients answered 64 matches a second instead of 113 with one thread each).
    if "embedding_threads" not in settings.model_fields_set:
        share = max(1, len(os.sched_getaffinity(0)) // workers)
        settings = settings.model_copy(update={"embedding_threads": share})
    from app.prefork import serve_forked

    serve_forked(settings, workers, options)


def _register_subcommands() -> None:
    from app.accounts import cli as accounts_cli
    from app.auth import cli as keys_cli
    from app.events import cli as events_cli
    from app.labs import cli as labs_cli
    from app.matches import cli as match_cli
    from app.notifications import cli as notifications_cli
    from app.programs import cli as programs_cli

    accounts_cli.register(cli)
    keys_cli.register(cli)
    events_cli.register(cli)
    labs_cli.register(cli)
    match_cli.register(cli)
    notifications_cli.register(cli)
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
        typer.secho(render("cli.database_unreachable", cli_language(None), {"url": url, "reason": reason}),
                    fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
