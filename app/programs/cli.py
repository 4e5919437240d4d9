"""Support-program commands: suggest, import, export, list."""

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_support import cli_session, fail
from app.errors import AppError
from app.programs import service
from app.programs.catalog import Flag
from app.programs.company_size import yen_ja
from app.programs.eligibility import Status, date_ja

CLI_ACTOR = "cli"
programs_cli = typer.Typer(help="Support programs: suggestions and the catalog.", no_args_is_help=True)
_MARKS = {"met": "✓", "unconfirmed": "?", "conflicting": "✗"}
_SOURCES = {"request": "指定", "need_budget": "ニーズの予算"}


def register(cli: typer.Typer) -> None:
    """Add the programs commands to the main CLI."""
    cli.add_typer(programs_cli, name="programs")


@programs_cli.command("suggest")
def suggest_command(
    org: Annotated[str, typer.Option("--org", help="the applying member's id")],
    need: Annotated[str | None, typer.Option("--need", help="one of the member's needs")] = None,
    partners: Annotated[
        list[str] | None, typer.Option("--partner", help="a member applying together (repeat, or list ids with commas)")
    ] = None,
    investment: Annotated[int | None, typer.Option("--investment", min=0, help="investment in yen")] = None,
    as_of: Annotated[datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="judge as of this day")] = (
        None
    ),
    flags: Annotated[list[Flag] | None, typer.Option("--flag", help="a choice that changes rates (repeat)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Judge every support program for a member, ranked by fit (as the API and the page): status, reasons, support."""
    try:
        with cli_session() as db_session:
            result = service.suggest(
                db_session=db_session, org_id=org, need_id=need, partner_ids=_ids(partners), investment_jpy=investment,
                as_of=as_of.date() if as_of else None, flags=[f.value for f in flags or []],
            )
    except AppError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    _print_suggestions(result)


def _ids(values: list[str] | None) -> list[str]:
    """Repeated options, each of which may also list ids separated by commas."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _print_suggestions(result: dict[str, Any]) -> None:
    for member in [result["organization"], *result["partners"]]:
        sure = "・".join(t["label_ja"] for t in member["applicant_types"] if t["value"])
        unsure = "・".join(t["label_ja"] for t in member["applicant_types"] if t["value"] is None)
        kinds = sure + (f"（要確認: {unsure}）" if unsure else "")
        typer.echo(f"{member['name']} ({member['id']}): {kinds or '区分不明'}")
    need = result["need"]
    if need:
        typer.echo(f"課題 {need['id']}: {need['title']}")
        asks = "・".join(f"{a['purpose_ja']}（{a['because']}）" for a in need["asks"])
        typer.echo(f"求めていること: {asks or '読み取れません'}")
    investment = result["investment_jpy"]
    spent = f"{yen_ja(investment)}（{_SOURCES[result['investment_source']]}）" if investment is not None else "未入力"
    day = datetime.strptime(result["as_of"], "%Y-%m-%d").date()
    typer.echo(f"投資額 {spent} / 判定日 {date_ja(day)}")
    # The same ranked list as the API and the member's page: the suggested programs, best fit first.
    suggested = service.suggested_programs(result)
    typer.echo(f"\n{'課題に合う支援制度' if need else '使えそうな支援制度'}（{len(suggested)}件、合う順）")
    if not suggested:
        typer.echo("  該当しそうな支援制度は見つかりませんでした。")
    for rank, program in enumerate(suggested, 1):
        typer.echo(f"  {rank}. {program['program_id']}  {program['name']}  [{program['status_ja']}]")
        figures = [program["rate_ja"], program["cap_ja"] and f"上限{program['cap_ja']}",
                   program["estimated_support_ja"] and f"見込み{program['estimated_support_ja']}"]
        if any(figures):
            typer.echo("     " + "・".join(f for f in figures if f))
        for bucket in ("met", "unconfirmed"):
            for condition in program[bucket]:
                typer.echo(f"     {_MARKS[bucket]} {condition['reason_ja']}")
    unrelated = [p for p in result["programs"] if not p["suggested"] and p["status"] != "ineligible"]
    if unrelated:
        typer.echo(f"\n課題と関連の薄い制度（{len(unrelated)}件）: {', '.join(p['program_id'] for p in unrelated)}")
    refused = [p for p in result["programs"] if p["status"] == "ineligible"]
    typer.echo(f"\n{service.STATUS_JA[Status.INELIGIBLE]}（{len(refused)}件）")
    for program in refused:
        typer.echo(f"  {program['program_id']}  {program['name']}")
        for condition in program["conflicting"]:
            typer.echo(f"    {_MARKS['conflicting']} {condition['reason_ja']}")


@programs_cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="catalog YAML in the format of seed/programs.yaml")],
    retire_missing: Annotated[bool, typer.Option(help="retire active programs the file does not list")] = False,
) -> None:
    """Create or update the programs of a catalog YAML (every change is kept as a revision)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {file}: {exc}")
    try:
        with cli_session() as db_session:
            report = service.import_catalog_yaml(db_session=db_session, yaml_text=text, changed_by=CLI_ACTOR,
                                                 retire_missing=retire_missing, origin=str(file))
    except AppError as exc:
        fail(f"{exc.message}\nnothing was imported.")
    typer.echo(", ".join(f"{len(ids)} {kind}" for kind, ids in report.items()))
    for kind in ("created", "restored", "updated", "retired"):
        if report[kind]:
            typer.echo(f"  {kind}: {', '.join(report[kind])}")


@programs_cli.command("export")
def export_command(file: Annotated[Path, typer.Argument(help="output YAML")]) -> None:
    """Write the active programs as catalog YAML that `programs import` reads back."""
    with cli_session() as db_session:
        text = service.export_catalog_yaml(db_session=db_session)
        count = len(service.list_programs(db_session=db_session))
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc}")
    typer.echo(f"wrote {count} programs to {file}")


@programs_cli.command("list")
def list_command(
    include_retired: Annotated[bool, typer.Option("--all", help="include retired programs")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the programs as JSON")] = False,
) -> None:
    """List the support programs of the catalog."""
    with cli_session() as db_session:
        records = service.list_programs(db_session=db_session, include_retired=include_retired)
        revisions = service.latest_revisions(db_session=db_session)
        rows = [service.program_record(r, revision=revisions.get(r.id)) for r in records]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:
        state = " [廃止]" if row["retired_at"] else ""
        typer.echo(f"{row['id']:<34} {row['kind']:<15} r{row['revision']} {row['name']}{state}")
    typer.echo(f"{len(rows)} programs")
