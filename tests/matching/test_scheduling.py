"""Scheduling core: every rule on small hand-built events, checked by the independent validator."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from matching.scheduling import (
    CandidatePair,
    Meeting,
    Participant,
    Request,
    ScheduleResult,
    SchedulingProblem,
    Slot,
    agenda_rows,
    cpsat,
    reason_ja,
    schedule,
    schedule_from_json,
    schedule_to_json,
    validate_schedule,
)
from matching.scheduling.model import RequestKind

T0 = datetime(2025, 11, 20, 10, 0)
FAST = 2.0  # seconds; the small problems here solve to optimality well within it


def make_slots(n: int) -> tuple[Slot, ...]:
    return tuple(Slot(f"s{k}", T0 + timedelta(minutes=20 * k), 20) for k in range(n))


def person(pid: str, avail: str | None = None, max_meetings: int = 4, n_slots: int = 3) -> Participant:
    """avail is a string of slot numbers, e.g. "02" = s0 and s2; None = every slot."""
    slots = range(n_slots) if avail is None else (int(c) for c in avail)
    return Participant(pid, frozenset(f"s{k}" for k in slots), max_meetings)


def make_problem(
    people: list[Participant],
    pairs: dict[str, float],
    *,
    requests: tuple[Request, ...] = (),
    tables: int = 10,
    n_slots: int = 3,
    already_met: tuple[str, ...] = (),
    published: tuple[Meeting, ...] = (),
) -> SchedulingProblem:
    """pairs: {"AB": 1.5} means candidate A-B with value 1.5 (single-letter ids)."""
    return SchedulingProblem(
        slots=make_slots(n_slots),
        tables=tables,
        participants=tuple(people),
        candidates=tuple(CandidatePair(k[0], k[1], v) for k, v in pairs.items()),
        requests=requests,
        already_met=frozenset(frozenset(k) for k in already_met),
        published=published,
    )


def solve(problem: SchedulingProblem, **kwargs: Any) -> ScheduleResult:
    result = schedule(problem, time_limit_s=FAST, **kwargs)
    assert validate_schedule(problem, result.meetings) == []
    assert result.upper_bound is not None
    assert result.objective <= result.upper_bound + 1e-6
    return result


def met(result: ScheduleResult) -> set[frozenset[str]]:
    return {frozenset((m.a, m.b)) for m in result.meetings}


def pair(ab: str) -> frozenset[str]:
    return frozenset(ab)


def random_problem(seed: int, n: int = 30, n_slots: int = 6, tables: int = 5) -> SchedulingProblem:
    rng = random.Random(seed)
    ids = [f"p{k:02d}" for k in range(n)]
    people = []
    for pid in ids:
        available = rng.sample(range(n_slots), rng.randint(4, n_slots))
        people.append(Participant(pid, frozenset(f"s{k}" for k in available), rng.randint(1, 4)))
    cands: dict[tuple[str, str], float] = {}
    for _ in range(5 * n):
        a, b = sorted(rng.sample(ids, 2))
        cands[a, b] = round(rng.random() * 2, 3)
    kinds: tuple[RequestKind, ...] = ("must_meet", "would_like", "do_not_meet")
    requests = []
    for kind in kinds * 3:
        a, b = rng.sample(ids, 2)
        requests.append(Request(a, b, kind))
    return SchedulingProblem(
        slots=make_slots(n_slots),
        tables=tables,
        participants=tuple(people),
        candidates=tuple(CandidatePair(a, b, v) for (a, b), v in cands.items()),
        requests=tuple(requests),
        already_met=frozenset(frozenset(k) for k in list(cands)[:5]),
    )


# --- hard rules ---------------------------------------------------------------------------


def test_nobody_is_in_two_meetings_in_one_slot() -> None:
    people = [person("A", n_slots=1), person("B", n_slots=1), person("C", n_slots=1)]
    result = solve(make_problem(people, {"AB": 1.0, "AC": 2.0}, n_slots=1))
    assert met(result) == {pair("AC")}
    assert "B" in result.unscheduled

    two_slots = [person("A", n_slots=2), person("B", n_slots=2), person("C", n_slots=2)]
    result = solve(make_problem(two_slots, {"AB": 1.0, "AC": 2.0}, n_slots=2))
    assert met(result) == {pair("AB"), pair("AC")}
    assert len({m.slot for m in result.meetings}) == 2


def test_meetings_only_where_both_are_available() -> None:
    people = [person("A", "0"), person("B", "1"), person("C", "01")]
    result = solve(make_problem(people, {"AB": 5.0, "AC": 1.0, "BC": 1.0}))
    assert met(result) == {pair("AC"), pair("BC")}
    slot_of = {frozenset((m.a, m.b)): m.slot for m in result.meetings}
    assert slot_of[pair("AC")] == "s0"
    assert slot_of[pair("BC")] == "s1"


def test_table_count_per_slot() -> None:
    people = [person(c, n_slots=1) for c in "ABCDEFGH"]
    result = solve(make_problem(people, {"AB": 4.0, "CD": 3.0, "EF": 2.0, "GH": 1.0}, tables=2, n_slots=1))
    assert met(result) == {pair("AB"), pair("CD")}
    assert sorted(m.table for m in result.meetings) == [1, 2]
    assert "tables are full" in result.unscheduled["E"]


def test_max_meetings() -> None:
    people = [person("A", max_meetings=1), person("B"), person("C")]
    result = solve(make_problem(people, {"AB": 1.0, "AC": 2.0, "BC": 0.5}))
    assert met(result) == {pair("AC"), pair("BC")}


def test_a_pair_meets_at_most_once() -> None:
    result = solve(make_problem([person("A"), person("B")], {"AB": 1.0, "BA": 3.0}))
    assert len(result.meetings) == 1
    assert result.meetings[0].value == 3.0  # duplicate candidates: the best value counts


def test_do_not_meet_is_never_scheduled_either_direction() -> None:
    people = [person("A"), person("B"), person("C")]
    requests = (
        Request("B", "A", "do_not_meet"),
        Request("A", "C", "do_not_meet"),
        Request("A", "C", "would_like"),  # loses against do_not_meet
    )
    result = solve(make_problem(people, {"AB": 9.0, "AC": 9.0, "BC": 1.0}, requests=requests))
    assert met(result) == {pair("BC")}
    assert "do_not_meet" in result.unscheduled["A"]


def test_already_met_skipped_unless_requested() -> None:
    people = [person("A"), person("B"), person("C")]
    requests = (Request("C", "A", "would_like"),)
    problem = make_problem(people, {"AB": 5.0, "AC": 0.1}, requests=requests, already_met=("AB", "AC"))
    result = solve(problem)
    assert met(result) == {pair("AC")}
    assert "already met" in result.unscheduled["B"]


def test_must_meet_wins_over_higher_values() -> None:
    # One slot, one table: the must_meet pair (not even a candidate) beats value 10.
    people = [person(c, n_slots=1) for c in "ABCD"]
    requests = (Request("A", "C", "must_meet"),)
    result = solve(make_problem(people, {"BD": 10.0, "AB": 8.0}, requests=requests, tables=1, n_slots=1))
    assert met(result) == {pair("AC")}
    assert result.infeasible_must_meet == []
    assert result.status == "optimal"


def test_must_meet_placed_around_availability() -> None:
    # A and C share only s2, which A would otherwise fill with the best pair.
    people = [person("A", max_meetings=1), person("B"), person("C", "2")]
    requests = (Request("C", "A", "must_meet"),)
    result = solve(make_problem(people, {"AB": 3.0, "BC": 1.0}, requests=requests))
    assert pair("AC") in met(result)
    assert {m.slot for m in result.meetings if frozenset((m.a, m.b)) == pair("AC")} == {"s2"}


def test_infeasible_must_meet_reported_with_reason() -> None:
    people = [
        person("A", "0"),
        person("B", "1"),  # no common slot with A
        person("C"),
        person("D", max_meetings=0),
        person("E", "0", max_meetings=1),
        person("F", "0"),
        person("G", "0"),
    ]
    requests = (
        Request("A", "B", "must_meet"),
        Request("C", "A", "must_meet"),
        Request("A", "C", "do_not_meet"),  # from the other side
        Request("C", "D", "must_meet"),
        Request("F", "E", "must_meet"),  # E and G compete for E's single slot
        Request("G", "E", "must_meet"),
        Request("C", "Z", "must_meet"),  # unknown participant
    )
    result = solve(make_problem(people, {}, requests=requests))
    reasons = {(a, b): why for a, b, why in result.infeasible_must_meet}
    assert reasons[("A", "B")] == "no common available slot"
    assert reasons[("C", "A")] == "do_not_meet requested by A"
    assert reasons[("C", "D")] == "D has max_meetings 0"
    assert reasons[("C", "Z")] == "unknown participant Z"
    lost = [k for k in (("F", "E"), ("G", "E")) if k in reasons]
    assert len(lost) == 1
    assert "E reaches max_meetings (1)" in reasons[lost[0]]
    assert len(result.meetings) == 1


def test_a_requested_pair_beats_any_recommended_value() -> None:
    # One table, one slot: B's wish to meet A (not even a candidate) beats a recommended pair worth 100.
    people = [person(c, n_slots=1) for c in "ABCD"]
    problem = make_problem(people, {"CD": 100.0}, requests=(Request("B", "A", "would_like"),), tables=1, n_slots=1)
    result = solve(problem)
    assert met(result) == {pair("AB")}
    assert result.counts["one_way_placed"] == 1
    assert result.counts["free_table_slots"] == 0


def test_mutual_requests_before_one_way_before_recommended() -> None:
    # A can have one meeting: the mutual wish (A and C) beats B's one-way wish and a pair worth 50.
    people = [person("A", max_meetings=1), person("B"), person("C"), person("D")]
    requests = (Request("B", "A", "would_like"), Request("A", "C", "would_like"), Request("C", "A", "would_like"))
    result = solve(make_problem(people, {"AB": 1.0, "AD": 50.0}, requests=requests))
    assert met(result) == {pair("AC")}
    assert (result.counts["mutual_placed"], result.counts["one_way_placed"]) == (1, 0)
    (unplaced,) = result.unplaced_requests
    assert (unplaced.requester, unplaced.target) == ("B", "A")
    assert unplaced.reason == "A reaches max_meetings (1) with meetings of the same or a higher priority"
    # Without the mutual pair, the one-way wish still beats the pair worth 50.
    result = solve(make_problem(people, {"AB": 1.0, "AD": 50.0}, requests=requests[:1]))
    assert met(result) == {pair("AB")}


def test_as_many_wishes_as_fit_even_if_worth_less() -> None:
    # Two one-way wishes that both fit beat one wish with a high value that blocks the other.
    people = [person("A", "0"), person("B", "0"), person("C", "01"), person("D", "1")]
    requests = (Request("A", "C", "would_like"), Request("B", "C", "would_like"), Request("D", "C", "would_like"))
    result = solve(make_problem(people, {"AC": 9.0, "BC": 0.5, "CD": 0.1}, requests=requests, n_slots=2))
    assert result.counts["one_way_placed"] == 2
    assert pair("CD") in met(result)


def test_recommended_pairs_below_the_minimum_leave_tables_empty() -> None:
    people = [person(c) for c in "ABCDEF"]
    problem = make_problem(people, {"AB": 5.0, "CD": 3.9, "EF": 0.5}, tables=3)
    problem = SchedulingProblem(**{**problem.__dict__, "min_value": 4.0})
    result = solve(problem)
    assert met(result) == {pair("AB")}
    assert result.counts["free_table_slots"] == 3 * 3 - 1
    assert result.unscheduled["C"] == "all 1 candidate(s) excluded: D (value 3.90 below the minimum 4)"
    assert reason_ja(result.unscheduled["C"]) == "候補 1 件はすべて対象外です（D: 評価 3.90 が最低値 4 に届きません）"
    # A request needs no minimum.
    wished = SchedulingProblem(**{**problem.__dict__, "requests": (Request("E", "F", "would_like"),)})
    assert met(solve(wished)) == {pair("AB"), pair("EF")}
    # The validator catches a recommended meeting below the minimum.
    errors = validate_schedule(problem, [Meeting("s0", 1, "C", "D", 3.9)])
    assert errors == ["C-D in s0: value 3.9 below the minimum 4"]


def test_unscheduled_reasons() -> None:
    people = [
        person("A"),
        person("B"),
        person("C", max_meetings=0),
        Participant("D", frozenset(), 3),
        person("E"),
    ]
    result = solve(make_problem(people, {"AB": 1.0, "AC": 1.0, "AD": 1.0}))
    assert result.unscheduled == {
        "C": "max_meetings is 0",
        "D": "no available slot",
        "E": "no candidate",
    }
    assert [e.partner for e in result.agendas["A"]] == ["B"]
    assert result.agendas["E"] == ()


def test_reasons_read_in_japanese() -> None:
    blocked = (Request("B", "A", "do_not_meet"), Request("A", "C", "do_not_meet"))
    cases = [
        make_problem([person("A"), person("B"), person("C", max_meetings=0), Participant("D", frozenset(), 3),
                      person("E"), person("F")], {"AB": 1.0, "AC": 1.0, "AD": 1.0, "FD": 1.0}),
        make_problem([person(c, n_slots=1) for c in "ABCDEF"], {"AB": 4.0, "CD": 3.0, "EF": 2.0}, tables=2, n_slots=1),
        make_problem([person("A"), person("B"), person("C")], {"AB": 9.0, "AC": 9.0}, requests=blocked),
        make_problem([person("A"), person("B"), person("C")], {"AB": 5.0, "AC": -1.0}, already_met=("AB",)),
        make_problem([person("A", max_meetings=1), person("B"), person("C", "0")], {"AB": 2.0, "AC": 1.0},
                     n_slots=1),
        make_problem([person("A"), person("B")], {"AB": 1.0}, tables=0),
    ]
    below = make_problem([person("A"), person("B"), person("C"), person("D")], {"AB": 1.0, "CD": 1.0})
    locked = make_problem([person("A", max_meetings=1), person("B"), person("C")], {"AB": 1.0, "AC": 1.0})
    cases += [
        SchedulingProblem(**{**below.__dict__, "min_value": 2.0, "removed": frozenset({pair("CD")})}),
        SchedulingProblem(**{**locked.__dict__, "locked": (Meeting("s0", 1, "A", "B", 1.0),)}),
    ]
    reasons = {why for problem in cases for why in solve(problem).unscheduled.values()}
    reasons |= {why for why in solve(random_problem(6), top_k=1).unscheduled.values()}
    wishes = (Request("B", "A", "would_like"), Request("C", "A", "would_like"), Request("C", "B", "must_meet"))
    reasons |= {u.reason for u in solve(make_problem([person("A", max_meetings=1), person("B"), person("C")], {},
                                                     requests=wishes)).unplaced_requests}
    for words in ("value 1.00 below the minimum 2", "removed by hand", "reaches max_meetings with locked meetings",
                  "with meetings of the same or a higher priority"):
        assert any(words in why for why in reasons), words
    assert len(reasons) >= 11
    for why in reasons:
        ja = reason_ja(why)
        assert not re.search("[a-z]{2,}", ja), (why, ja)
    fits = "no meeting fits with any of 3 candidate(s): 2 at their max_meetings, 1 busy whenever a table is free"
    assert reason_ja(fits) == ("候補 3 件のどの相手とも商談が組めません（2 件: 相手の商談数が上限に達しています、"
                               "1 件: テーブルが空いている枠では相手が商談中です）")
    assert reason_ja("something new") == "something new"  # unknown wording is shown as it is


# --- re-runs with published meetings -------------------------------------------------------


def _event(ids: str, extra: dict[str, float] | None = None) -> SchedulingProblem:
    people = [person(c, max_meetings=2, n_slots=4) for c in ids]
    rng = random.Random(7)
    pairs = {a + b: round(rng.random() + 0.1, 3) for i, a in enumerate("ABCDEFGH") for b in "ABCDEFGH"[i + 1 :]}
    pairs = {k: v for k, v in pairs.items() if set(k) <= set(ids)} | (extra or {})
    return make_problem(people, pairs, tables=3, n_slots=4)


def test_rerun_keeps_published_after_participant_added_and_removed() -> None:
    first = solve(_event("ABCDEFGH"))
    assert first.meetings
    # H cancels, I registers late with very attractive candidates.
    late = _event("ABCDEFGI", extra={"AI": 9.0, "BI": 9.0, "CI": 9.0})
    late = SchedulingProblem(**{**late.__dict__, "published": first.meetings})
    second = solve(late)
    new = {(m.slot, m.table, frozenset((m.a, m.b))) for m in second.meetings}
    for m in first.meetings:
        if "H" in (m.a, m.b):
            assert (m, "dropped: participant H removed") in second.published_changes
        else:
            assert (m.slot, m.table, frozenset((m.a, m.b))) in new
    changed = {m for m, _ in second.published_changes}
    assert all("H" in (m.a, m.b) for m in changed)
    assert any("I" in (m.a, m.b) for m in second.meetings)


def test_rerun_moves_only_invalidated_meetings() -> None:
    first = solve(_event("ABCDEFGH"))
    victim = first.meetings[0]
    # The victim's first participant is no longer available in that slot.
    people = tuple(
        Participant(p.id, p.available_slots - {victim.slot}, p.max_meetings) if p.id == victim.a else p
        for p in _event("ABCDEFGH").participants
    )
    late = SchedulingProblem(**{**_event("ABCDEFGH").__dict__, "participants": people, "published": first.meetings})
    second = solve(late)
    changes = dict(second.published_changes)
    assert set(changes) == {victim}
    assert "no longer available" in changes[victim]
    kept = {(m.slot, m.table, m.a, m.b) for m in second.meetings}
    assert all((m.slot, m.table, m.a, m.b) in kept for m in first.meetings if m != victim)


def test_locked_meetings_stay_exactly_across_reruns() -> None:
    problem = _event("ABCDEFGH")
    first = solve(problem)
    # The secretariat fixes a pair the solver did not choose, at table 3 of the last slot.
    chosen = met(first)
    a, b = next((a, b) for a in "ABCDEFGH" for b in "ABCDEFGH" if a < b and frozenset((a, b)) not in chosen)
    lock = Meeting("s3", 3, a, b, problem_value(problem, a, b))
    locked = SchedulingProblem(**{**problem.__dict__, "locked": (lock,), "previous": first.meetings})
    for _ in range(2):
        again = solve(locked)
        assert lock in again.meetings
        assert again.counts["locked"] == 1
        locked = SchedulingProblem(**{**locked.__dict__, "previous": again.meetings})
    # A lock that can no longer hold is dropped and reported; the validator checks locks too.
    away = tuple(Participant(p.id, p.available_slots - {"s3"}, p.max_meetings) if p.id == a else p
                 for p in problem.participants)
    broken = schedule(SchedulingProblem(**{**locked.__dict__, "participants": away}), time_limit_s=FAST)
    assert broken.lock_changes == [(lock, f"dropped: {a} no longer available in slot s3")]
    assert validate_schedule(locked, first.meetings) == [f"locked meeting {a}-{b} (s3, table 3) is not kept"]


def problem_value(problem: SchedulingProblem, a: str, b: str) -> float:
    return max((c.value for c in problem.candidates if {c.a, c.b} == {a, b}), default=0.0)


def test_rerun_changes_as_little_as_possible() -> None:
    first = solve(_event("ABCDEFGH"))
    # Nothing changed: the same schedule, table for table.
    same = solve(SchedulingProblem(**{**_event("ABCDEFGH").__dict__, "previous": first.meetings}))
    assert same.meetings == first.meetings
    assert same.counts["previous_kept"] == len(first.meetings)
    # A newcomer with a few good pairs: most meetings stay where they were.
    late = _event("ABCDEFGHI", extra={"AI": 3.0, "BI": 3.0})
    late = SchedulingProblem(**{**late.__dict__, "previous": first.meetings})
    second = solve(late)
    assert any("I" in (m.a, m.b) for m in second.meetings)
    assert second.counts["previous_kept"] >= len(first.meetings) - 2
    fresh = solve(_event("ABCDEFGHI", extra={"AI": 3.0, "BI": 3.0}))
    kept_anyway = len(set(first.meetings) & set(fresh.meetings))
    assert second.counts["previous_kept"] > kept_anyway  # the penalty is what keeps them


def test_removed_pairs_are_not_scheduled_again() -> None:
    people = [person(c) for c in "ABC"]
    problem = make_problem(people, {"AB": 5.0, "AC": 1.0, "BC": 1.0}, requests=(Request("A", "B", "would_like"),))
    removed = SchedulingProblem(**{**problem.__dict__, "removed": frozenset({pair("AB")})})
    result = solve(removed)
    assert pair("AB") not in met(result)
    assert [(u.requester, u.target, u.reason) for u in result.unplaced_requests] == [("A", "B", "removed by hand")]
    assert validate_schedule(removed, [Meeting("s0", 1, "A", "B", 5.0)]) == ["A-B in s0 was removed by hand"]


@pytest.mark.parametrize("seed", [2, 9])
def test_same_problem_same_schedule(seed: int) -> None:
    problem = random_problem(seed, tables=4)
    first, second = solve(problem), solve(problem)
    assert first.meetings == second.meetings
    reordered = SchedulingProblem(**{**problem.__dict__, "participants": problem.participants[::-1],
                                     "candidates": problem.candidates[::-1], "requests": problem.requests[::-1]})
    assert solve(reordered).meetings == first.meetings


# --- fallback, bound, export ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_greedy_fallback_is_valid(seed: int) -> None:
    problem = random_problem(seed)
    greedy = solve(problem, solver="greedy")
    assert greedy.status == "greedy"
    assert greedy.meetings
    best = solve(problem)
    assert best.status in ("optimal", "feasible")
    assert best.objective >= greedy.objective - 1e-6


def test_falls_back_to_greedy_without_cp_sat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpsat, "available", lambda: False)
    result = solve(random_problem(9))
    assert result.status == "greedy"
    assert any("ortools not installed" in note for note in result.notes)


def test_falls_back_to_greedy_when_cp_sat_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(cpsat, "solve_main", lambda *args, **kwargs: calls.append(1))  # returns None
    problem = random_problem(10, tables=5)  # the LP rounding alone is not optimal here
    result = solve(problem)
    assert calls
    assert result.status == "greedy"
    assert result.objective == pytest.approx(result.stats["hint_objective"])


def test_huge_problem_uses_greedy_and_pair_bound() -> None:
    result = solve(random_problem(11), max_variables=10)
    assert result.status == "greedy"
    assert result.bound_method == "pair_lp"
    assert any("too large" in note for note in result.notes)


@pytest.mark.parametrize(("seed", "tables"), [(4, 8), (12, 5), (17, 8)])
def test_objective_not_above_lp_bound(seed: int, tables: int) -> None:
    result = solve(random_problem(seed, tables=tables))  # solve() asserts objective <= bound
    assert result.bound_method == "lp"
    assert result.status == "optimal"
    assert result.upper_bound is not None
    assert result.objective >= 0.95 * result.upper_bound


def test_pruning_is_reported_and_bound_is_on_pruned_set() -> None:
    result = solve(random_problem(6), top_k=2)
    assert any("top 2" in note and "pruned candidate set" in note for note in result.notes)


def test_json_round_trip_validates() -> None:
    problem = random_problem(8)
    problem = SchedulingProblem(**{**problem.__dict__, "published": (Meeting("s0", 1, "p00", "p01", 0.0),)})
    result = solve(problem)
    doc = json.loads(json.dumps(schedule_to_json(problem, result)))
    again, meetings = schedule_from_json(doc)
    assert again == problem
    assert meetings == result.meetings
    assert validate_schedule(again, meetings) == []
    assert doc["result"]["objective"] == result.objective

    # A tampered export is caught.
    m = meetings[0]
    doc["meetings"].append({"slot": m.slot, "table": m.table, "a": m.a, "b": m.b, "value": 99.0})
    again, meetings = schedule_from_json(doc)
    errors = validate_schedule(again, meetings)
    assert any("meet 2 times" in e for e in errors)
    assert any("table" in e and "used by 2" in e for e in errors)
    assert any("value 99.0" in e for e in errors)


def test_validator_flags_each_rule() -> None:
    people = [person("A", "0", max_meetings=1), person("B"), person("C"), person("D")]
    requests = (Request("B", "C", "do_not_meet"),)
    problem = make_problem(people, {"AB": 1.0, "BC": 1.0, "CD": 1.0}, requests=requests, tables=1, already_met=("CD",))
    bad = [
        Meeting("s1", 1, "A", "B", 1.0),  # A not available in s1
        Meeting("s1", 2, "B", "C", 1.0),  # B twice in s1, 2 tables > 1, do_not_meet, table 2 > 1
        Meeting("s2", 1, "C", "D", 1.0),  # already met
        Meeting("s0", 1, "A", "D", 0.0),  # A over max_meetings
        Meeting("s9", 1, "A", "Z", 0.0),  # unknown slot and participant
    ]
    errors = "\n".join(validate_schedule(problem, bad))
    for expected in (
        "A is not available in s1",
        "B is in 2 meetings in s1",
        "s1 has 2 meetings but only 1 tables",
        "table 2 outside 1..1",
        "B-C scheduled despite do_not_meet",
        "C-D already met",
        "A has 2 meetings, max_meetings is 1",
        "unknown slot s9",
        "unknown participant Z",
    ):
        assert expected in errors


def test_agenda_rows_grids() -> None:
    people = [person("A"), person("B"), person("C", "01")]
    problem = make_problem(people, {"AB": 1.0, "AC": 2.0}, tables=2)
    result = solve(problem)
    grid = agenda_rows(problem, result.meetings, names={"A": "Alpha"})
    assert grid[0] == ["participant", "10:00", "10:20", "10:40"]
    alpha = next(row for row in grid if row[0] == "Alpha")
    assert sum(cell.startswith("T") for cell in alpha) == 2
    c_row = next(row for row in grid if row[0] == "C")
    assert c_row[3] == "-"  # not available in s2
    tables = agenda_rows(problem, result.meetings, view="table")
    assert [row[0] for row in tables] == ["table", "1", "2"]
    listing = agenda_rows(problem, result.meetings, view="list", names={"A": "Alpha"})
    assert len(listing) == 1 + len(result.meetings)
    assert listing[0] == ["slot", "start", "minutes", "table", "a", "b", "value", "a_id", "b_id"]
    in_order = sorted(result.meetings, key=lambda m: (m.slot, m.table))
    assert [row[7:] for row in listing[1:]] == [[m.a, m.b] for m in in_order]
