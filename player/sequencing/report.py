"""Fold a SCO's committed runtime data into the tracking model.

SN book §4.2.1 / RTE §4.2 ("Mapping the run-time data model to the tracking model"):

=====================================  ==============================================
runtime element (2004)                  tracking model
=====================================  ==============================================
cmi.completion_status                   Attempt Completion Status (unknown → progress
                                        status false; not attempted → incomplete)
cmi.success_status                      primary objective Satisfied Status
cmi.score.scaled                        primary objective Normalized Measure
cmi.progress_measure                    Attempt Completion Amount
cmi.objectives.n.{success_status,       the activity's objective whose objectiveID is
score.scaled, completion_status,        ``cmi.objectives.n.id``
progress_measure}
cmi.exit = suspend                      Activity is Suspended, when the attempt ends
=====================================  ==============================================

SCORM 1.2 (``cmi.core.lesson_status``): passed/failed → completed and satisfied/not
satisfied, completed/browsed → completed, incomplete → incomplete; ``cmi.core.score.raw``
→ measure (raw - min) / (max - min), or raw / 100 without a max.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from player.sequencing.model import Activity
from player.sequencing.tracking import Tracker


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"score": {"scaled": 1}}`` → ``{"score.scaled": 1}``; drops a ``cmi.`` prefix."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, Mapping):
                    flat.update(flatten(entry, f"{name}.{i}."))
                else:
                    flat[f"{name}.{i}"] = entry
        else:
            flat[name] = value
    return {(k[4:] if k.startswith("cmi.") else k): v for k, v in flat.items()}


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_COMPLETION = {"completed": True, "incomplete": False, "not attempted": False}
_SUCCESS = {"passed": True, "failed": False}


def fold_cmi(tracker: Tracker, activity: Activity, cmi: Mapping[str, Any], scorm12: bool) -> None:
    """Write the runtime data of ``activity`` into the tracking model (no rollup)."""
    flat = flatten(cmi)
    state = tracker.act(activity)
    primary = activity.primary
    if scorm12:
        _fold_12(tracker, activity, flat)
    else:
        if "completion_status" in flat:
            value = str(flat["completion_status"])
            tracker.set_objective(activity, primary, completion=_COMPLETION.get(value))
        if "success_status" in flat:
            value = str(flat["success_status"])
            tracker.set_objective(activity, primary, satisfied=_SUCCESS.get(value))
        if "score.scaled" in flat:
            tracker.set_objective(activity, primary, measure=_number(flat["score.scaled"]))
        if "progress_measure" in flat:
            tracker.set_objective(activity, primary, progress=_number(flat["progress_measure"]))
        _fold_objectives(tracker, activity, flat)
    exit_value = flat.get("exit", flat.get("core.exit"))
    if exit_value is not None:
        state.exit_suspend = str(exit_value) == "suspend"


def _fold_objectives(tracker: Tracker, activity: Activity, flat: Mapping[str, Any]) -> None:
    """``cmi.objectives.n.*`` to the activity's objectives with the same id (RTE §4.2.17)."""
    index = 0
    while f"objectives.{index}.id" in flat:
        prefix = f"objectives.{index}."
        index += 1
        objective = activity.objective(str(flat[prefix + "id"]))
        if objective is None:
            continue
        changes: dict[str, Any] = {}
        for name, key, convert in (
            ("satisfied", "success_status", lambda v: _SUCCESS.get(str(v))),
            ("measure", "score.scaled", _number),
            ("completion", "completion_status", lambda v: _COMPLETION.get(str(v))),
            ("progress", "progress_measure", _number),
        ):
            # The primary objective follows cmi.success_status etc. when those are set.
            if prefix + key in flat and not (objective.primary and key in flat):
                changes[name] = convert(flat[prefix + key])
        tracker.set_objective(activity, objective, **changes)


def _fold_12(tracker: Tracker, activity: Activity, flat: Mapping[str, Any]) -> None:
    primary = activity.primary
    status = flat.get("core.lesson_status")
    if status is not None:
        status = str(status)
        if status in ("passed", "failed"):
            tracker.set_objective(activity, primary, completion=True, satisfied=status == "passed")
        elif status in ("completed", "browsed"):
            tracker.set_objective(activity, primary, completion=True)
        elif status in ("incomplete", "not attempted"):
            tracker.set_objective(activity, primary, completion=False)
    raw = _number(flat.get("core.score.raw"))
    if raw is not None:
        low = _number(flat.get("core.score.min")) or 0.0
        high = _number(flat.get("core.score.max"))
        has_range = high is not None and high > low
        measure = (raw - low) / (high - low) if has_range and high else raw / 100
        tracker.set_objective(activity, primary, measure=max(-1.0, min(1.0, measure)))
