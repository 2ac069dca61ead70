"""Launch data: the CMI tree the LMS hands a SCO (scorm-again ``loadFromJSON``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from player.cmi.times import canonical_time
from player.cmi.tree import unwrap
from player.cmi.values import (
    SCORM12,
    SCORM2004,
    TIME_LIMIT_ACTIONS,
    as_number,
    as_object,
    as_text,
    is_blank,
    require_version,
)


def _fmt_number(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _sequencing_for(
    item: Mapping[str, Any], collection: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge the item's imsss:sequencing over the collection entry it refers to (SN §5.1)."""
    seq = item.get("sequencing")
    seq = seq[0] if isinstance(seq, list) and seq else seq
    if not isinstance(seq, Mapping):
        return {}
    merged: dict[str, Any] = {}
    ref = seq.get("IDRef")
    if ref and collection and isinstance(collection.get(ref), Mapping):
        merged.update(collection[ref])
    merged.update(seq)
    return merged


def _objective_ids(seq: Mapping[str, Any]) -> list[str]:
    objectives = as_object(seq.get("objectives"))
    ids: list[str] = []
    primary = as_object(objectives.get("primaryObjective"))
    if primary.get("objectiveID"):
        ids.append(str(primary["objectiveID"]))
    for obj in objectives.get("objective") or []:
        if isinstance(obj, Mapping) and obj.get("objectiveID") and obj["objectiveID"] not in ids:
            ids.append(str(obj["objectiveID"]))
    return ids


def scaled_passing_score(seq: Mapping[str, Any]) -> float | None:
    """``cmi.scaled_passing_score`` from the primary objective (RTE §4.2.19, SN §5.1.4).

    Defined only when ``satisfiedByMeasure="true"``; ``minNormalizedMeasure`` defaults to 1.0.
    """
    primary = as_object(as_object(seq.get("objectives")).get("primaryObjective"))
    if primary.get("satisfiedByMeasure") is not True:
        return None
    measure = primary.get("minNormalizedMeasure")
    value = as_object(measure).get("value", 1.0) if isinstance(measure, Mapping) else measure
    number = as_number(value if value is not None else 1.0)
    return 1.0 if number is None else number


def completion_threshold(item: Mapping[str, Any]) -> float | None:
    """``cmi.completion_threshold`` from ``adlcp:completionThreshold`` (RTE §4.2.4).

    3rd edition: the element's text. 4th edition: ``minProgressMeasure`` (default 1.0),
    used only when ``completedByMeasure="true"``.
    """
    data = item.get("completion_threshold")
    if not isinstance(data, Mapping):
        return None
    if "completedByMeasure" in data or "minProgressMeasure" in data:
        if data.get("completedByMeasure") is not True:
            return None
        number = as_number(data.get("minProgressMeasure", 1.0))
        return 1.0 if number is None else number
    return as_number(data.get("value"))


def initial_cmi(
    version: str,
    *,
    learner_id: str,
    learner_name: str,
    item: Mapping[str, Any],
    entry: str,
    previous: Mapping[str, Any] | None,
    mode: str = "normal",
    credit: str = "credit",
    sequencing_collection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the CMI tree the LMS hands the SCO at launch (scorm-again ``loadFromJSON``).

    ``item`` is an item dict from ``packages.manifest`` (keys ``masteryscore``,
    ``datafromlms``, ``maxtimeallowed``, ``timelimitaction``, ``completion_threshold``,
    ``sequencing``); ``sequencing_collection`` is the package's
    ``structure["sequencing_collection"]`` for items whose sequencing has an ``IDRef``.
    ``previous`` is the stored tree of the attempt (``SessionOutcome.cmi``). With
    ``entry`` "resume" (or "" — same attempt, 2004 RTE §4.2.7) location, suspend_data,
    statuses, score, objectives, interactions, comments and total_time carry over; with
    "ab-initio" a new attempt starts from zero. Learner preferences always carry over.
    All values are strings; unset values are omitted (loadFromJSON skips falsy values).
    """
    require_version(version)
    if entry not in ("ab-initio", "resume", ""):
        raise ValueError(f"entry must be 'ab-initio', 'resume' or '', not {entry!r}")
    if mode not in ("normal", "browse", "review"):
        raise ValueError(f"mode must be normal, browse or review, not {mode!r}")
    if credit not in ("credit", "no-credit"):
        raise ValueError(f"credit must be credit or no-credit, not {credit!r}")
    prev = unwrap(previous) if previous else {}
    same_attempt = bool(prev) and entry in ("resume", "")
    launch_data = as_text(item.get("datafromlms"))
    if version == SCORM12:
        return _initial_12(
            learner_id, learner_name, item, entry, prev, same_attempt, mode, credit, launch_data
        )
    return _initial_2004(
        learner_id,
        learner_name,
        item,
        entry,
        prev,
        same_attempt,
        mode,
        credit,
        launch_data,
        sequencing_collection,
    )


def _initial_2004(
    learner_id: str,
    learner_name: str,
    item: Mapping[str, Any],
    entry: str,
    prev: Mapping[str, Any],
    same_attempt: bool,
    mode: str,
    credit: str,
    launch_data: str,
    sequencing_collection: Mapping[str, Any] | None,
) -> dict[str, Any]:
    seq = _sequencing_for(item, sequencing_collection)
    tree: dict[str, Any] = {
        "learner_id": learner_id,
        "learner_name": learner_name,
        "credit": credit,
        "mode": mode,
        "entry": entry,
        "launch_data": launch_data,
        "total_time": "PT0S",
    }
    threshold = completion_threshold(item)
    if threshold is not None:
        tree["completion_threshold"] = _fmt_number(threshold)
    passing = scaled_passing_score(seq)
    if passing is not None:
        tree["scaled_passing_score"] = _fmt_number(passing)
    limit = as_object(seq.get("limitConditions")).get("attemptAbsoluteDurationLimit")
    # An unusable limit (the manifest report warns about it) is no limit.
    tree["max_time_allowed"] = canonical_time(SCORM2004, limit) or ""
    if item.get("timelimitaction") in TIME_LIMIT_ACTIONS:
        tree["time_limit_action"] = item["timelimitaction"]
    pref = as_object(prev.get("learner_preference"))
    kept_pref = {k: as_text(v) for k, v in pref.items() if not is_blank(v)}
    if kept_pref:
        tree["learner_preference"] = kept_pref
    objectives: list[dict[str, Any]] = []
    if same_attempt:
        objectives = _carry_over_2004(tree, prev)
    # Objectives are pre-populated with the sequencing objective ids (RTE §4.2.17).
    known = {o.get("id") for o in objectives}
    for ident in _objective_ids(seq):
        if ident not in known:
            objectives.append({"id": ident})
    if objectives:
        tree["objectives"] = objectives
    return {k: v for k, v in tree.items() if v not in ("", None)}


def _carry_over_2004(tree: dict[str, Any], prev: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Put what a resumed 2004 attempt keeps into ``tree``; return its objectives."""
    for key in (
        "location",
        "suspend_data",
        "completion_status",
        "success_status",
        "progress_measure",
    ):
        if not is_blank(prev.get(key)):
            tree[key] = as_text(prev[key])
    score = {k: as_text(v) for k, v in as_object(prev.get("score")).items() if not is_blank(v)}
    if score:
        tree["score"] = score
    tree["total_time"] = canonical_time(SCORM2004, prev.get("total_time")) or "PT0S"
    objectives = [_prune(o) for o in prev.get("objectives") or [] if isinstance(o, dict)]
    interactions = [_prune(i) for i in prev.get("interactions") or [] if isinstance(i, dict)]
    if interactions:
        tree["interactions"] = interactions
    comments = [_prune(x) for x in prev.get("comments_from_learner") or [] if isinstance(x, dict)]
    if comments:
        tree["comments_from_learner"] = comments
    return objectives


def _initial_12(
    learner_id: str,
    learner_name: str,
    item: Mapping[str, Any],
    entry: str,
    prev: Mapping[str, Any],
    same_attempt: bool,
    mode: str,
    credit: str,
    launch_data: str,
) -> dict[str, Any]:
    core: dict[str, Any] = {
        "student_id": learner_id,
        "student_name": learner_name,
        "credit": credit,
        "entry": entry,
        "lesson_mode": mode,
        "lesson_status": "not attempted",
        "total_time": "0000:00:00.00",
    }
    tree: dict[str, Any] = {"core": core, "launch_data": launch_data}
    data: dict[str, str] = {}
    mastery = as_number(item.get("masteryscore"))
    if mastery is not None:
        data["mastery_score"] = _fmt_number(mastery)
    max_time = canonical_time(SCORM12, item.get("maxtimeallowed"))
    if max_time:
        data["max_time_allowed"] = max_time
    if item.get("timelimitaction") in TIME_LIMIT_ACTIONS:
        data["time_limit_action"] = item["timelimitaction"]
    if data:
        tree["student_data"] = data
    pref = {
        k: as_text(v)
        for k, v in as_object(prev.get("student_preference")).items()
        if not is_blank(v)
    }
    if pref:
        tree["student_preference"] = pref
    if same_attempt:
        pcore = as_object(prev.get("core"))
        for key in ("lesson_location", "lesson_status"):
            if not is_blank(pcore.get(key)):
                core[key] = as_text(pcore[key])
        score = {k: as_text(v) for k, v in as_object(pcore.get("score")).items() if not is_blank(v)}
        if score:
            core["score"] = score
        core["total_time"] = canonical_time(SCORM12, pcore.get("total_time")) or "0000:00:00.00"
        for key in ("suspend_data", "comments"):
            if not is_blank(prev.get(key)):
                tree[key] = as_text(prev[key])
        objectives = [_prune(o) for o in prev.get("objectives") or [] if isinstance(o, dict)]
        if objectives:
            tree["objectives"] = objectives
        interactions = [_prune(i) for i in prev.get("interactions") or [] if isinstance(i, dict)]
        if interactions:
            tree["interactions"] = interactions
    return {k: v for k, v in tree.items() if v not in ("", None)}


def _prune(node: Any) -> Any:
    """Drop empty values (loadFromJSON skips them anyway) and stringify numbers."""
    if isinstance(node, dict):
        out = {k: _prune(v) for k, v in node.items() if not k.startswith("_")}
        return {k: v for k, v in out.items() if v not in ("", None, {}, [])}
    if isinstance(node, list):
        return [_prune(v) for v in node if v is not None]
    return as_text(node)
