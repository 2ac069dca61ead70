"""The tracking and activity state model of one attempt, JSON-serialisable.

SN book §4.2 "Tracking Model" (objective progress information, activity/attempt progress
information) and §4.2.x "Activity State Model" (Activity is Active / is Suspended, Current
Activity, Suspended Activity, Available Children).  Statuses are tri-state: ``None`` means
the corresponding *Progress Status* / *Measure Status* is false (unknown).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: Bump when the JSON layout changes incompatibly.
STATE_VERSION = 1


@dataclass
class ObjectiveState:
    """Objective progress information (SN §4.2.1): status and normalized measure.

    ``completion`` and ``progress`` are the 4th edition objective completion data that
    ``adlseq:mapInfo`` reads and writes.
    """

    satisfied: bool | None = None
    measure: float | None = None
    completion: bool | None = None
    progress: float | None = None

    def is_empty(self) -> bool:
        """Nothing known."""
        return (
            self.satisfied is None
            and self.measure is None
            and self.completion is None
            and (self.progress is None)
        )


@dataclass
class ActivityState:
    """Activity progress, attempt progress and activity state of one activity (SN §4.2)."""

    #: Activity Attempt Count (SN §4.2.2.x); > 0 means Activity Progress Status true.
    attempts: int = 0
    #: Attempt Completion Status (None: Attempt Progress Status false).
    completion: bool | None = None
    #: Attempt Completion Amount (None: its status false).
    progress: float | None = None
    active: bool = False
    suspended: bool = False
    #: The SCO set cmi.exit = "suspend": the attempt is suspended when it terminates.
    exit_suspend: bool = False
    #: Local objective information, by objective id.
    objectives: dict[str, ObjectiveState] = field(default_factory=dict)
    #: Available Children (SN §4.2.x) after selection/randomization; None: all, in order.
    children: list[str] | None = None
    #: The attempt number on which ``children`` was last randomized/selected.
    ordered_at: int = -1

    def objective(self, ident: str) -> ObjectiveState:
        """Return the local objective record, created on first use."""
        return self.objectives.setdefault(ident, ObjectiveState())

    def copy(self) -> ActivityState:
        """Return an independent copy."""
        return ActivityState(
            attempts=self.attempts,
            completion=self.completion,
            progress=self.progress,
            active=self.active,
            suspended=self.suspended,
            exit_suspend=self.exit_suspend,
            objectives={k: replace(v) for k, v in self.objectives.items()},
            children=list(self.children) if self.children is not None else None,
            ordered_at=self.ordered_at,
        )


@dataclass
class SequencingState:
    """Everything the sequencer remembers between requests for one attempt on a course.

    Store ``to_json()`` after every navigation request or report and rebuild with
    ``from_json`` (the state holds identifiers only, never the tree).
    """

    activities: dict[str, ActivityState] = field(default_factory=dict)
    #: Global shared objectives by targetObjectiveID (SN §4.2.1.x, mapInfo).
    globals: dict[str, ObjectiveState] = field(default_factory=dict)
    #: The Current Activity (SN §4.2.x); None outside a sequencing session.
    current: str | None = None
    #: The Suspended Activity, set by Suspend All and cleared on delivery.
    suspended: str | None = None
    #: True once a sequencing session ended (Exit All, Suspend All, exit from the root).
    ended: bool = False

    def activity(self, ident: str) -> ActivityState:
        """Return the state of activity ``ident``, created on first use."""
        return self.activities.setdefault(ident, ActivityState())

    def global_objective(self, target: str) -> ObjectiveState:
        """Return the global objective ``target``, created on first use."""
        return self.globals.setdefault(target, ObjectiveState())

    def next_attempt(self, objectives_global_to_system: bool) -> SequencingState:
        """Return the state a new attempt on the course starts from.

        Empty, except that global objectives carry over when the organization's
        ``objectivesGlobalToSystem`` is true (CAM §3.4.1.x, SN §4.2.1.x; the tree's
        ``objectives_global_to_system``); when false they are scoped to one attempt.
        """
        if not objectives_global_to_system:
            return SequencingState()
        return SequencingState(globals={k: replace(v) for k, v in self.globals.items()})

    def copy(self) -> SequencingState:
        """Return an independent copy (to look ahead without changing this state)."""
        return SequencingState(
            activities={k: v.copy() for k, v in self.activities.items()},
            globals={k: replace(v) for k, v in self.globals.items()},
            current=self.current,
            suspended=self.suspended,
            ended=self.ended,
        )

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict; empty objective records are left out."""
        activities: dict[str, Any] = {}
        for ident, act in self.activities.items():
            data = {k: v for k, v in asdict(act).items() if k != "objectives"}
            data["objectives"] = {
                k: asdict(v) for k, v in act.objectives.items() if not v.is_empty()
            }
            activities[ident] = data
        return {
            "version": STATE_VERSION,
            "current": self.current,
            "suspended": self.suspended,
            "ended": self.ended,
            "activities": activities,
            "globals": {k: asdict(v) for k, v in self.globals.items() if not v.is_empty()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | str | bytes | None) -> SequencingState:
        """Rebuild a state from ``to_json()`` output (a dict or its JSON text)."""
        if data is None:
            return cls()
        if isinstance(data, str | bytes):
            data = json.loads(data)
        assert isinstance(data, dict)  # noqa: S101 - narrowing for mypy
        if data.get("version", STATE_VERSION) != STATE_VERSION:
            raise ValueError(f"Unknown sequencing state version {data.get('version')!r}")
        activities = {}
        for ident, raw in (data.get("activities") or {}).items():
            fields = {k: v for k, v in raw.items() if k in ActivityState.__dataclass_fields__}
            objectives = {
                k: ObjectiveState(**v) for k, v in (fields.pop("objectives", {}) or {}).items()
            }
            activities[ident] = ActivityState(**fields, objectives=objectives)
        return cls(
            activities=activities,
            globals={k: ObjectiveState(**v) for k, v in (data.get("globals") or {}).items()},
            current=data.get("current"),
            suspended=data.get("suspended"),
            ended=bool(data.get("ended", False)),
        )
