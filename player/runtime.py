"""The SCORM runtime on the server: SCO sessions, commits, finish and statements.

The browser runs scorm-again (player/static/player.js). Every commit it sends is
``{"sco", "session", "seq", "terminate", "closing", "cmi", "adl", "nav"}`` (``adl``: the
SCORM 2004 4th-ed. shared data ``adl.data``, whose changed stores are saved to the
learner's buckets, player.shared_data):

- ``session`` numbers the launches of a SCO in an attempt and ``seq`` the commits of a
  session (scorm-again's commit sequence). A commit of an older session, or with a
  ``seq`` at or below the stored one, is acknowledged and ignored, so retried and late
  (beacon) commits are harmless and never overwrite newer data;
- ``terminate`` marks the Terminate / LMSFinish commit, which ends the session once
  (time accumulated, exit/entry decided: player.cmi.finish_session); a later commit of
  the same session recomputes it from the same base, so it is never added twice;
- ``closing`` marks the shell's pagehide beacon for a SCO that never terminated: the
  session ends as if suspended (SCORM_CHECKS.md §3.6, "terminate-on-close keeps
  suspend_data"), unless the SCO itself set another exit.

Each value is validated (player.cmi.validate_cmi by the rules of the package's SCORM
edition, player.cmi.rules; check_readonly) before anything is stored. A refused element
is left out and everything else in the commit is stored (player.cmi_salvage): the answer
is 200 with the refused elements listed, and the refusal is kept for the course's authors
(player.refusals). A malformed body (not a CMI tree at all) is a 400.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from core.errors import BadRequest
from packages.models import PackageVersion
from player import (
    attempts,
    cmi_salvage,
    course_tree,
    lms,
    ownership,
    refusals,
    rollup,
    shared_data,
    translate,
)
from player import cmi as cmi_model
from player.cmi import rules as cmi_rules
from player.models import Attempt, ScoState

SCORM_VERSION = {"scorm12": cmi_model.SCORM12, "scorm2004": cmi_model.SCORM2004}


@dataclass
class CommitResult:
    """What a commit did."""

    stored: bool
    finished: bool = False
    reason: str = ""
    #: The tracking data (status, score, objectives) changed: navigation may have too.
    tracking_changed: bool = False
    #: Elements left out of the commit (the rest was stored: player.cmi_salvage).
    refused: list[refusals.Refusal] = field(default_factory=list)


def scorm_version(version: PackageVersion) -> str:
    """player.cmi's version name for a package version."""
    try:
        return SCORM_VERSION[version.kind]
    except KeyError:
        raise BadRequest(
            "This course is not a SCORM course",
            errors=[{"path": "kind", "message": version.kind}],
        ) from None


def browser_rules(version: PackageVersion) -> dict[str, Any] | None:
    """The value rules the runtime frame applies at SetValue (None: not a SCORM course).

    The same table the server checks commits with (player.cmi.rules), for the version's
    SCORM edition, so the browser refuses to the SCO what the server would refuse.
    """
    name = SCORM_VERSION.get(version.kind)
    if name is None:
        return None
    return cmi_rules.ruleset(name, version.edition).for_browser()


def _learner_name(name: str) -> str:
    """SCORM learner names are "Last, First" (1.2 RTE cmi.core.student_name)."""
    parts = name.strip().split()
    if len(parts) < 2:
        return name.strip()
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def start_session(attempt: Attempt, version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """Open a new session of a SCO; return ``{"session", "cmi", "entry"}`` for the shell."""
    entry = course_tree.launch_entry(version, sco_id)
    state = attempts.sco_state(attempt, sco_id)
    assert state is not None  # noqa: S101  (create=True)
    moment = attempts.now()
    if not state.session_finished:
        # The previous session never ended (the browser died without a beacon): end it
        # now with what was stored, as a suspend, so nothing is lost.
        finish(attempt, version, state, state.cmi, closing=True)
    if not course_tree.has_api(entry):
        state.launches += 1
        state.completion_status = "completed"
        state.updated_at = moment
        return {"session": state.session_no, "cmi": {}, "entry": ""}
    user = lms.learner(attempt)
    item = course_tree.item_data(version, sco_id)
    first = state.launches == 0
    entry_value = "ab-initio" if first else state.entry
    if version.kind == "scorm12" and entry_value == "ab-initio" and not first:
        # 1.2 has no "new SCO attempt" inside an attempt: a re-launch after a normal exit
        # is neither first nor a resume (1.2 RTE cmi.core.entry: "").
        entry_value = ""
    previous = state.cmi if entry_value in ("resume", "") else None
    if entry_value == "ab-initio" and not first:
        # SCORM 2004: the SCO's previous attempt ended; a new one starts from zero.
        state.total_seconds = 0.0
        state.sent_interactions = 0
    tree = cmi_model.initial_cmi(
        scorm_version(version),
        learner_id=str(user.id),
        learner_name=_learner_name(user.name),
        item=item,
        entry=entry_value,
        previous=previous,
        sequencing_collection=(version.manifest or {}).get("sequencing_collection"),
    )
    adl_data = _adl_data(attempt, version, item)
    state.session_no += 1
    state.commit_seq = 0
    state.session_started_at = moment
    state.session_finished = False
    state.launch_cmi = tree
    state.launch_adl = adl_data
    state.cmi = copy.deepcopy(tree)
    state.base_seconds = state.total_seconds
    state.launches += 1
    state.exit = ""
    state.refused = None  # refusals are counted once per session (player.refusals)
    state.updated_at = moment
    attempt.current_sco = sco_id
    attempt.updated_at = moment
    _session_started(attempt, version, state, entry=entry_value)
    return {"session": state.session_no, "cmi": tree, "adl_data": adl_data, "entry": entry_value}


def _adl_data(
    attempt: Attempt, version: PackageVersion, item: dict[str, Any], *, review: bool = False
) -> list[dict[str, Any]]:
    """The SCO's ``adl.data`` entries (SCORM 2004 4th ed. shared data, player.cmi).

    One per ``adlcp:map`` of the item, with the store of its bucket when the map may read
    it. The shell configures scorm-again with them (``adl.configureSharedDataMaps`` and
    ``restoreSharedDataSnapshot``), which answers the SCO's GetValue/SetValue with the RTE
    errors (403 not initialized, 404 not writable, 405 not readable). In review nothing is
    writable: the LMS keeps the learner's data as it was (RTE §4.2.13).
    """
    if version.kind != "scorm2004":
        return []
    maps = cmi_model.shared_data_maps(item)
    if not maps:
        return []
    buckets = shared_data.read(
        attempt.user_id,
        shared_data.scope(attempt, version),
        [m.target_id for m in maps],
    )
    entries = cmi_model.initial_adl_data(maps, buckets)
    if review:
        for entry in entries:
            entry["write"] = False
    return entries


def review_session(attempt: Attempt, version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """The CMI data of a review launch: the stored values, mode review, no-credit.

    SCORM 2004 RTE §4.2.13 (cmi.mode "review": the SCO was completed and is shown again,
    the LMS does not change the tracking data), §4.2.4 (cmi.credit "no-credit"); SCORM
    1.2 RTE §3.4.4 (cmi.core.lesson_mode, cmi.core.credit). Nothing is stored: the
    session and its commits are dropped (commit), so the SCO's record stays as it was.
    """
    entry = course_tree.launch_entry(version, sco_id)
    state = attempts.sco_state(attempt, sco_id, create=False)
    session = max(1, state.session_no) if state is not None else 1
    if not course_tree.has_api(entry):
        return {"session": session, "cmi": {}, "entry": ""}
    user = lms.learner(attempt)
    previous = state.cmi if state is not None and state.launches else None
    # The stored data of the SCO's attempt is shown again: its place after a suspend
    # ("resume"), otherwise the same attempt continued ("", RTE §4.2.8).
    entry_value = "ab-initio"
    if previous is not None:
        entry_value = "resume" if state is not None and state.entry == "resume" else ""
    tree = cmi_model.initial_cmi(
        scorm_version(version),
        learner_id=str(user.id),
        learner_name=_learner_name(user.name),
        item=course_tree.item_data(version, sco_id),
        entry=entry_value,
        previous=previous,
        mode="review",
        credit="no-credit",
        sequencing_collection=(version.manifest or {}).get("sequencing_collection"),
    )
    adl_data = _adl_data(attempt, version, course_tree.item_data(version, sco_id), review=True)
    return {"session": session, "cmi": tree, "adl_data": adl_data, "entry": entry_value}


def _refusals(
    version: PackageVersion, state: ScoState, body: dict[str, Any], tree: dict[str, Any]
) -> tuple[dict[str, Any], list[refusals.Refusal], dict[str, str]]:
    """The commit's tree without its refused elements, the refusals, the shared data writes.

    Checked by the version's and edition's rules (player.cmi.rules, which the browser
    applies at SetValue too) and against the read-only values the session was given.
    """
    version_name = scorm_version(version)

    def check(candidate: dict[str, Any]) -> list[cmi_model.CmiProblem]:
        problems = cmi_model.validate_cmi(version_name, candidate, edition=version.edition)
        return problems + cmi_model.check_readonly(version_name, state.launch_cmi, candidate)

    kept, refused = cmi_salvage.salvage(check, tree, state.cmi or {})
    adl = body.get("adl") if version_name == cmi_model.SCORM2004 else None
    adl_problems, shared_writes = cmi_model.check_adl_data(state.launch_adl or [], adl)
    found = [
        refusals.Refusal(p.path, p.code, p.message, cmi_salvage.value_at(tree, p.path))
        for p in refused
    ]
    found += [refusals.Refusal(p.path, p.code, p.message, None) for p in adl_problems]
    reported = [
        refusals.Refusal(r["element"], r["code"], r["message"], r["value"], source="browser")
        for r in body.get("refused") or []
    ]
    return kept, found + reported, shared_writes


def commit(attempt: Attempt, version: PackageVersion, body: dict[str, Any]) -> CommitResult:
    """Store one commit of the running SCO (see the module docstring for the format)."""
    if attempts.in_review(attempt):
        # Review mode: the LMS keeps the tracking data as it was (RTE §4.2.13).
        return CommitResult(False, reason="review mode: nothing is stored")
    ownership.check(attempt)  # 409 when another launch took the attempt over
    sco_id = body["sco"]
    state = attempts.sco_state(attempt, sco_id, create=False)
    if state is None or state.session_no == 0:
        raise BadRequest(
            f"SCO {sco_id!r} has not been launched in this attempt",
            errors=[{"path": "sco", "message": "not launched"}],
        )
    session, seq = body["session"], body["seq"]
    closing = bool(body.get("closing"))
    if attempt.ended_at is not None:
        return CommitResult(False, reason="the attempt is over")
    if session != state.session_no:
        return CommitResult(False, reason="stale session")
    if seq < state.commit_seq or (
        seq == state.commit_seq and not (closing and not state.session_finished)
    ):
        return CommitResult(False, reason="duplicate or out-of-order commit")
    if state.session_finished and closing:
        return CommitResult(False, reason="session already finished")
    version_name = scorm_version(version)
    try:
        tree = cmi_model.normalise_commit({"cmi": body.get("cmi") or {}})
    except ValueError as exc:
        raise BadRequest(f"cmi: {exc}", errors=[{"path": "cmi", "message": str(exc)}]) from None
    tree, refused, shared_writes = _refusals(version, state, body, tree)
    if refused:
        refusals.record(version, state, refused)
    tree = cmi_model.restore_readonly(version_name, state.launch_cmi, tree)
    _write_shared_data(attempt, version, state, shared_writes)
    before = state.cmi
    pending = _commit_statements(attempt, version, state, before, tree)
    state.commit_seq = seq
    state.updated_at = attempts.now()
    result = CommitResult(True, refused=[r for r in refused if r.source == "server"])
    if body.get("terminate") or closing:
        # One LRS write for the commit's statements and the session's end.
        finish(attempt, version, state, tree, closing=closing, pending=pending)
        result.finished = True
        result.tracking_changed = True
    else:
        state.cmi = tree
        status = cmi_model.status_of(version_name, tree)
        _apply_status(state, status.completion, status.success, status.score_scaled)
        # The commit's statements and the course's result, if the rollup changed it,
        # are stored last, as one write (lms.one_batch).
        with lms.one_batch():
            _store(pending)
            if _tracking(before) != _tracking(tree):
                result.tracking_changed = True
                rollup.report_to_sequencer(attempt, version, sco_id, tree)
            rollup.rollup(attempt, version)
    return result


def _write_shared_data(
    attempt: Attempt, version: PackageVersion, state: ScoState, writes: dict[str, str]
) -> None:
    """Save the stores a commit changed; later commits of the session compare with them."""
    if not writes:
        return
    shared_data.write(attempt.user_id, shared_data.scope(attempt, version), attempt.id, writes)
    sent = []
    for entry in state.launch_adl or []:
        entry = dict(entry)
        if entry["id"] in writes:
            entry["store"] = writes[entry["id"]]
        sent.append(entry)
    state.launch_adl = sent


_TRACKED = ("completion_status", "success_status", "score", "progress_measure", "objectives")


def _tracking(tree: dict[str, Any]) -> tuple[Any, ...]:
    """The part of a CMI tree the sequencer's tracking model reads (SN §4.2, RTE §4.2)."""
    core: dict[str, Any] = tree["core"] if isinstance(tree.get("core"), dict) else {}
    return (
        *(tree.get(key) for key in _TRACKED),
        core.get("lesson_status"),
        core.get("score"),
    )


def _apply_status(
    state: ScoState, completion: str, success: str, score_scaled: float | None
) -> None:
    state.completion_status = completion
    state.success_status = success
    if score_scaled is not None:
        state.score_scaled = score_scaled


def finish(
    attempt: Attempt,
    version: PackageVersion,
    state: ScoState,
    tree: dict[str, Any],
    *,
    closing: bool = False,
    suspend_all: bool = True,
    pending: list[dict[str, Any]] | None = None,
) -> cmi_model.SessionOutcome:
    """End the running session of a SCO: time, exit/entry, status (player.cmi).

    ``closing``: the SCO did not terminate (the window closed, or the learner moved on);
    its data is kept as with exit "suspend" unless it set another exit, and with
    ``suspend_all`` the whole course is suspended too.  The course's result, if the
    rollup changed it, and the session's statements are stored last, as one write
    (lms.one_batch).
    """
    with lms.one_batch():
        return _finish(attempt, version, state, tree, closing, suspend_all, pending)


def _finish(
    attempt: Attempt,
    version: PackageVersion,
    state: ScoState,
    tree: dict[str, Any],
    closing: bool,
    suspend_all: bool,
    pending: list[dict[str, Any]] | None,
) -> cmi_model.SessionOutcome:
    version_name = scorm_version(version)
    tree = copy.deepcopy(tree)
    core = tree.setdefault("core", {}) if version_name == cmi_model.SCORM12 else tree
    if closing and not core.get("exit"):
        # Closed without Terminate: keep the learner's place (a suspend).
        core["exit"] = "suspend"
    moment = attempts.now()
    started = state.session_started_at or moment
    wall = max(0.0, (moment - started).total_seconds())
    was_finished = state.session_finished
    outcome = cmi_model.finish_session(version_name, tree, wallclock_seconds=wall)
    state.cmi = outcome.cmi
    state.total_seconds = outcome.total_seconds
    if not was_finished:
        state.wall_seconds += wall
    state.entry = outcome.next_entry
    state.exit = outcome.exit
    state.session_finished = True
    _apply_status(state, outcome.completion, outcome.success, outcome.score_scaled)
    if len(version.launch) == 1 or (closing and suspend_all):
        # The learner's place in a one-SCO course is that SCO's (multi-SCO courses are
        # suspended as a whole by suspendAll).
        attempt.suspended = outcome.suspended
    attempt.updated_at = moment
    # The sequencer sees the SCO's last values with its exit (suspend or not), SN §4.2.
    rollup.report_to_sequencer(attempt, version, state.sco_id, tree)
    if closing and suspend_all and not was_finished:
        # Closed without Terminate: the learner's whole place is kept (suspendAll).
        sequencer = rollup.sequencer_for(attempt, version)
        if sequencer is not None and sequencer.navigate("suspendAll").ok:
            rollup.save_sequencer(attempt, sequencer)
    rollup.rollup(attempt, version)
    statements = list(pending or [])
    if not was_finished:
        # Once per session: a repeated terminate adds no second end.
        statements += _end_statements(attempt, version, state, outcome, tree)
    _store(statements)
    return outcome


# -- statements (SCORM → xAPI, player.translate) ------------------------------------------


def _context(
    attempt: Attempt, version: PackageVersion, state: ScoState
) -> translate.TranslateContext:
    entry = course_tree.launch_entry(version, state.sco_id)
    return translate.TranslateContext(
        actor=lms.learner_agent(attempt),
        registration=attempt.registration,
        course_activity_id=course_tree.course_activity_id(version),
        course_title=course_tree.course_title(version),
        sco_activity_id=course_tree.sco_activity_id(version, state.sco_id),
        sco_title=str(entry.get("title") or state.sco_id),
        version=scorm_version(version),
        session=str(state.session_no),
    )


def _store(statements: list[dict[str, Any]]) -> None:
    """Store translated statements; a resend with other content is logged, never fatal.

    Statement ids are deterministic (player.translate), so a retried commit stores
    nothing twice; the learner's data must never be refused because of its mirror.
    """
    lms.store_statements(statements, resent_ok=True)


def _session_started(
    attempt: Attempt, version: PackageVersion, state: ScoState, *, entry: str
) -> None:
    """Initialized / resumed when a SCO session starts (xAPI SCORM profile §5.0)."""
    _store(translate.statements_for_launch(_context(attempt, version, state), entry))


def _commit_statements(
    attempt: Attempt,
    version: PackageVersion,
    state: ScoState,
    before: dict[str, Any],
    after: dict[str, Any],
) -> list[dict[str, Any]]:
    """Statements (answered, scored, completed, passed, failed) for what a commit changed."""
    return translate.statements_for_commit(_context(attempt, version, state), before, after)


def _end_statements(
    attempt: Attempt,
    version: PackageVersion,
    state: ScoState,
    outcome: cmi_model.SessionOutcome,
    tree: dict[str, Any],
) -> list[dict[str, Any]]:
    """Final status changes, then suspended or terminated."""
    return translate.statements_for_end(_context(attempt, version, state), outcome, tree)
