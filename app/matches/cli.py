"""Matching commands: match, eval, index rebuild."""

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from app import migrate
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.errors import AppError
from app.matches.engine import MatchingEngine
from app.matches.service import match_payload
from app.roster.exchange import import_roster
from app.roster.files import read_roster_file
from matching.evaluation import evaluate, judgments_from_qrels
from matching.ranker import CHANNELS, Weights

index_cli = typer.Typer(help="The vector and lexical indexes.", no_args_is_help=True)


def open_engine(settings: Settings) -> tuple[MatchingEngine, Any]:
    """An engine synced with the configured database, and the session factory it used."""
    factory = make_session_factory(make_engine(settings.database_url))
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
    factory = make_session_factory(make_engine(settings.database_url))
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
) -> None:
    """Import the roster into a fresh temporary database, rank every need, print metrics as JSON."""
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="iotmatch-eval-") as tmp:
        settings = base.model_copy(update={"database_url": f"sqlite:///{Path(tmp) / 'eval.db'}",
                                           "data_dir": Path(tmp) / "var"})
        migrate.upgrade(settings.database_url)
        factory = make_session_factory(make_engine(settings.database_url))
        with session_scope(factory) as session:
            import_roster(session, read_roster_file(roster))
        engine, _ = open_engine(settings)
        judgments = judgments_from_qrels(json.loads(qrels.read_text(encoding="utf-8")))
        typer.echo(json.dumps(run_evaluation(engine, judgments, k), indent=2))


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
