"""What the sequencer answers: a navigation request's outcome, the course's status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class CourseStatus(NamedTuple):
    """The root activity's rolled-up status, in the cmi vocabularies."""

    completion: str
    success: str
    measure: float | None

    @property
    def completion_status(self) -> str:
        """``completion`` under its cmi name."""
        return self.completion

    @property
    def success_status(self) -> str:
        """``success`` under its cmi name."""
        return self.success

    @property
    def score_scaled(self) -> float | None:
        """``measure`` under its cmi name (cmi.score.scaled)."""
        return self.measure


@dataclass(frozen=True)
class NavResult:
    """The outcome of ``Sequencer.navigate``.

    Exactly one of: an activity to deliver (``activity`` with ``href``), the end of the
    sequencing session (``ended``), nothing to deliver (e.g. after ``exit``), or a refusal
    (``exception`` with its SN code and ``message``).
    """

    request: str
    activity: str | None = None
    title: str | None = None
    href: str | None = None
    parameters: str | None = None
    #: The activity resumes a suspended attempt (cmi.entry = "resume").
    resume: bool = False
    ended: bool = False
    exception: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """True unless the request was refused."""
        return self.exception is None
