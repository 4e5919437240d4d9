"""Matching commands: match, eval, index rebuild."""

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from app import migrate
from app.cli_support import existing_database_url, fail, fail_with_problems
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.errors import AppError
from app.matches.engine import MatchingEngine
from app.matches.service import match_payload
from app.roster.exchange import import_roster
from app.roster.files import read_roster_file
from app.roster.validation import RosterInvalid
from matching.evaluation import evaluate, judgments_from_qrels
from matching.qrels import QrelsInvalid, UnknownJudgment, qrels_warnings, read_qrels, unknown_judgments
from matching.ranker import CHANNELS, Weights
from matching.variants import RewrittenNeed, VariantInvalid, apply_variant, read_variant

MAX_LISTED = 20  # unknown judgments named in the warning; the rest are counted

index_cli = typer.Typer(help="The vector and lexical indexes.", no_args_is_help=True)


def open_engine(settings: Settings) -> tuple[MatchingEngine, Any]:
    """An engine synced with the configured database, and the session factory it used."""
    factory = make_session_factory(make_engine(existing_database_url(settings.database_url)))
    engine = MatchingEngine.from_settings(settings)
    with session_scope(factory) as session:
        engine.start(session)
    return engine, factory


def register(cli: typer.Typer) -> None:
    """Add the matching commands to the main CLI."""
    cli.add_typer(index_cli, name="index")
    cli.command("match")(match_command)
    cli.command("eval")(eval_command)


@index_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the indexes from the database and save a fresh snapshot."""
    settings = get_settings()
    factory = make_session_factory(make_engine(existing_database_url(settings.database_url)))
    engine = MatchingEngine.from_settings(settings)
    with session_scope(factory) as session:
        engine.rebuild(session, show_progress=True)
    typer.echo(f"indexed {len(engine.corpora['seed'])} seeds and {len(engine.corpora['need'])} needs "
               f"with {engine.encoder.model_id}")


def match_command(
    need_id: Annotated[str | None, typer.Argument(help="the need to match")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    all_needs: Annotated[bool, typer.Option("--all", help="match every need")] = False,
    output: Annotated[str, typer.Option("--format", help="text, json or jsonl")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
) -> None:
    """Rank the seeds that can solve a need (or every need with --all)."""
    if bool(need_id) == all_needs:
        raise typer.BadParameter("give a NEED_ID or --all")
    if output not in ("text", "json", "jsonl"):
        raise typer.BadParameter("--format must be text, json or jsonl")
    engine, _ = open_engine(get_settings())
    need_ids = sorted(engine.corpora["need"].docs) if all_needs else [need_id or ""]
    fmt = "json" if as_json else output
    results = []
    for nid in need_ids:
        try:
            need = engine.document("need", nid)
        except AppError as exc:
            typer.secho(exc.message, fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
        matches = [match_payload(engine, m, need.org.industry) for m in engine.match_need(nid, limit=limit)]
        results.append({"need": nid, "matches": matches})
        if fmt == "jsonl":
            typer.echo(json.dumps(jsonl_line(nid, matches), ensure_ascii=False))
        elif fmt == "text":
            typer.echo(f"{nid} {need.title}")
            for i, m in enumerate(matches, 1):
                typer.echo(f"  {i:2}. {m['seed']} {m['score']:.3f} {m['title']} ({m['organization']['name']})")
                typer.echo(f"      {m['reason_text']}")
    if fmt == "json":
        typer.echo(json.dumps(results if all_needs else results[0], ensure_ascii=False, indent=2))


def jsonl_line(need_id: str, matches: list[dict[str, Any]]) -> dict[str, Any]:
    """One need's line of `match --format jsonl`: seed, score and reasons per match, the Japanese sentence
    last among the reasons (type "summary")."""
    return {"need": need_id, "matches": [
        {"seed": m["seed"], "score": m["score"],
         "reasons": [*m["reasons"], {"type": "summary", "text": m["reason_text"]}]} for m in matches]}


def eval_command(
    roster: Annotated[Path, typer.Option(help="roster in the exchange format")],
    qrels: Annotated[Path, typer.Option(help="relevance judgments (qrels-v1)")],
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    variant: Annotated[list[str] | None, typer.Option(
        help="NAME=FILE: the roster's needs in other words (a need-variant file or a roster), judged by the same "
             "qrels and reported beside the roster's own wording; repeat for several")] = None,
) -> None:
    """Import the roster into a fresh temporary database, rank every need, print metrics as JSON."""
    # Every input file is checked before the temporary database and the model, which take seconds.
    qrels_doc = _read_qrels(qrels)
    variants = _read_variants(variant or [])
    with _roster_errors(roster):
        roster_doc = read_roster_file(roster)
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="iotmatch-eval-") as tmp:
        settings = base.model_copy(update={"database_url": f"sqlite:///{Path(tmp) / 'eval.db'}",
                                           "data_dir": Path(tmp) / "var"})
        migrate.upgrade(settings.database_url)
        factory = make_session_factory(make_engine(settings.database_url))
        with _roster_errors(roster), session_scope(factory) as session:
            import_roster(session, roster_doc)
        judgments = _known_judgments(qrels_doc, roster_doc, roster.name)
        try:
            engine, _ = open_engine(settings)
        except AppError as exc:
            fail(exc.message)
        result = run_evaluation(engine, judgments, k)
        if variants:
            result["variants"] = {}
            for name, needs in variants.items():
                # Same database, same seeds: only the variant's needs change, so only they are embedded again.
                with _roster_errors(roster), session_scope(factory) as session:
                    import_roster(session, apply_variant(roster_doc, _known_needs(needs, roster_doc, name)))
                    engine.sync(session)
                result["variants"][name] = run_evaluation(
                    engine, {n: g for n, g in judgments.items() if n in needs}, k)
            result["side_by_side"] = side_by_side(result, k)
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _read_variants(specs: list[str]) -> dict[str, dict[str, RewrittenNeed]]:
    """NAME=FILE options read and checked, or the end of the command with every problem listed."""
    variants: dict[str, dict[str, RewrittenNeed]] = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not name.strip() or not file.strip():
            fail(f"--variant {spec!r}: write NAME=FILE, e.g. plain=needs_plain.json")
        if name.strip() in variants or name.strip() == "roster":
            fail(f"--variant {spec!r}: the name {name.strip()!r} is taken; give each variant its own name")
        path = Path(file.strip())
        try:
            variants[name.strip()] = read_variant(path)
        except VariantInvalid as exc:
            fail_with_problems(exc.problems, "nothing was evaluated", source=path.name)
    return variants


def _known_needs(needs: dict[str, RewrittenNeed], roster_doc: dict[str, Any], name: str
                 ) -> dict[str, RewrittenNeed]:
    """The variant's needs that the roster has; the others are reported and left out."""
    ids = {n["id"] for org in roster_doc["organizations"] for n in org.get("needs") or []}
    unknown = sorted(set(needs) - ids)
    if unknown:
        typer.secho(f"warning: variant {name}: {len(unknown)} need(s) not in the roster are left out: "
                    f"{', '.join(unknown[:MAX_LISTED])}{' …' if len(unknown) > MAX_LISTED else ''}",
                    fg=typer.colors.YELLOW, err=True)
    return {i: n for i, n in needs.items() if i in ids}


def side_by_side(result: dict[str, Any], k: int) -> dict[str, dict[str, float]]:
    """nDCG@k of every ranking (fused, each channel alone, fusion without each) per wording."""
    key = f"ndcg@{k}"
    columns = {"roster": result, **result.get("variants", {})}
    rows = {"fused": lambda r: r["fused"]} | {
        f"{c} alone": (lambda r, c=c: r["alone"][c]) for c in CHANNELS} | {
        f"without {c}": (lambda r, c=c: r["without"][c]) for c in CHANNELS}
    return {row: {name: get(r)[key] for name, r in columns.items()} for row, get in rows.items()}


def _read_qrels(path: Path) -> dict[str, Any]:
    """The checked qrels document, or the end of the command with every problem listed."""
    try:
        document = read_qrels(path)
    except QrelsInvalid as exc:
        fail_with_problems(exc.problems, "nothing was evaluated", source=path.name)
    for warning in qrels_warnings(document):
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    return document


@contextmanager
def _roster_errors(path: Path) -> Iterator[None]:
    """End the command with the roster's problems listed, as `iotmatch import` reports them."""
    try:
        yield
    except RosterInvalid as exc:
        fail_with_problems(exc.problems, "nothing was evaluated", source=path.name)
    except AppError as exc:
        fail(exc.message)


def _known_judgments(qrels_doc: dict[str, Any], roster_doc: dict[str, Any], roster_name: str,
                     ) -> dict[str, dict[str, int]]:
    """The judgments of the roster's needs and seeds; the others are reported and left out of the metrics,
    since counting them as unanswered queries would silently lower every score."""
    ids = {kind: {p["id"] for org in roster_doc["organizations"] for p in org.get(kind) or []}
           for kind in ("needs", "seeds")}
    unknown = unknown_judgments(qrels_doc, ids["needs"], ids["seeds"])
    if unknown:
        _warn_unknown(unknown, len(qrels_doc["judgments"]), roster_name)
    judgments = {need: {seed: g for seed, g in grades.items() if seed in ids["seeds"]}
                 for need, grades in judgments_from_qrels(qrels_doc).items() if need in ids["needs"]}
    if not any(g > 0 for grades in judgments.values() for g in grades.values()):
        fail(f"no judgment with a grade above 0 names a need and a seed of {roster_name}; "
             "check that the qrels file belongs to this roster.")
    return judgments


def _warn_unknown(unknown: list[UnknownJudgment], total: int, roster_name: str) -> None:
    typer.secho(f"warning: {len(unknown)} of {total} judgment(s) name a need or seed that is not in "
                f"{roster_name}; they are left out of the metrics:", fg=typer.colors.YELLOW, err=True)
    for item in unknown[:MAX_LISTED]:
        typer.echo(f"  {item}", err=True)
    if len(unknown) > MAX_LISTED:
        typer.echo(f"  … and {len(unknown) - MAX_LISTED} more", err=True)


def run_evaluation(engine: MatchingEngine, judgments: dict[str, dict[str, int]], k: int) -> dict[str, Any]:
    """Metrics of the fused ranking and of each channel alone and left out."""
    def score(weights: Weights) -> dict[str, Any]:
        rankings = {n: [m.doc.id for m in engine.match_need(n, limit=k, weights=weights)]
                    for n in judgments if n in engine.corpora["need"]}
        return evaluate(rankings, judgments, k)

    fused = engine.weights
    result: dict[str, Any] = {"model": engine.encoder.model_id, "k": k, "fused": score(fused), "alone": {},
                              "without": {}}
    for channel in CHANNELS:
        result["alone"][channel] = score(replace(fused.only([channel]), max_per_organization=0))
        result["without"][channel] = score(fused.only([c for c in CHANNELS if c != channel]))
    return result
