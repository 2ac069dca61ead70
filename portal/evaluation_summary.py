"""Evaluations in aggregate only: per course (and version), per session, per trainer.

Nothing here returns one person's answers. Evaluations are counted in groups: a course
version (or, for results no attempt of ours ties to a version, the course), or a
classroom session. A group is shown once ``MIN_ANSWERS`` people answered, and every
total (a course, a trainer) is made of shown groups only: were a hidden group counted in
a total whose other groups are shown, subtracting them would give away the answers of
its one to four people. The same holds for each question within a group (one added
later has fewer answers than the group). Comments are shown with the figures they belong to, without
names and in alphabetical order (neither who wrote them nor when).

Who may read which figures (``check_*``): a course's, anyone who may author it (the
author/trainer role or higher: courses are the authors' together, as on the authoring
pages); a session's or a trainer's, the trainer, admins, and managers whose unit tree
or manager line holds the trainer.

``summary(course_id)`` is the course's summary as the review of its next version reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from sqlalchemy import func, select

from accounts import line
from accounts.auth import has_role
from accounts.models import User
from core.db import db
from core.errors import Forbidden
from core.i18n import N_
from packages import service as packages
from packages.models import Course, PackageVersion
from portal import catalogue, reports
from portal.evaluation_models import SCALE, Evaluation, EvaluationAnswer, EvaluationQuestion
from portal.evaluation_questions import text
from portal.models import ClassroomSession

#: The fewest answers a group needs before anything of it is shown.
MIN_ANSWERS = 5


@dataclass(frozen=True)
class QuestionFigures:
    """One question over the counted groups: its average and answers per scale step."""

    question: EvaluationQuestion
    text: str
    average: float
    counts: tuple[int, ...]  # answers of each value in SCALE

    @property
    def answers(self) -> int:
        """How many answered it."""
        return sum(self.counts)


@dataclass(frozen=True)
class Figures:
    """What a course, session or trainer shows: figures of the groups with enough answers."""

    answers: int  # evaluations counted in the figures
    total: int  # evaluations in all, counted or not
    largest: int  # the largest group's count: how near the first one is to being shown
    questions: list[QuestionFigures] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        """Whether there is anything to show."""
        return self.answers >= MIN_ANSWERS

    @property
    def left_out(self) -> int:
        """Answers of groups still below the minimum (not in the figures)."""
        return self.total - self.answers


@dataclass(frozen=True)
class GroupRow:
    """One version or session: its number of answers and, when shown, each question's average."""

    subject: str
    answers: int
    averages: dict[int, float]
    version: PackageVersion | None = None
    session: ClassroomSession | None = None

    @property
    def shown(self) -> bool:
        """Whether the group has enough answers to be shown."""
        return self.answers >= MIN_ANSWERS


@dataclass(frozen=True)
class CourseSummary:
    """A course's evaluations: its figures and, for e-learning, each version's (the trend)."""

    course: Course
    kind: str
    figures: Figures
    versions: list[GroupRow]


# -- Reading -------------------------------------------------------------------------------


def _counts(where: list[Any]) -> dict[str, int]:
    rows = db.session.execute(
        select(Evaluation.subject, func.count()).where(*where).group_by(Evaluation.subject)
    )
    return {subject: int(n) for subject, n in rows}


def _locale() -> str:
    return str(get_locale() or "en")


def _cells(where: list[Any], counted: list[str]) -> dict[tuple[str, int], tuple[int, ...]]:
    """Answers per value of each question in each counted group, for the cells shown.

    A cell (group, question) is shown from its fifth answer too: a question added or
    asked again after a group reached five would otherwise show its first answers.
    """
    found: dict[tuple[str, int], dict[int, int]] = {}
    if counted:
        for subject, question_id, value, n in db.session.execute(
            select(
                Evaluation.subject,
                EvaluationAnswer.question_id,
                EvaluationAnswer.value,
                func.count(),
            )
            .join(Evaluation, Evaluation.id == EvaluationAnswer.evaluation_id)
            .where(*where, Evaluation.subject.in_(counted))
            .group_by(Evaluation.subject, EvaluationAnswer.question_id, EvaluationAnswer.value)
        ):
            found.setdefault((subject, question_id), {})[int(value)] = int(n)
    cells = {key: tuple(steps.get(step, 0) for step in SCALE) for key, steps in found.items()}
    return {key: steps for key, steps in cells.items() if sum(steps) >= MIN_ANSWERS}


def _average(steps: tuple[int, ...]) -> float:
    return sum(s * n for s, n in zip(SCALE, steps, strict=True)) / sum(steps)


def figures(where: list[Any]) -> Figures:
    """The figures of the evaluations ``where`` selects, counting only groups shown."""
    counts = _counts(where)
    counted = [subject for subject, n in counts.items() if n >= MIN_ANSWERS]
    total, largest = sum(counts.values()), max(counts.values(), default=0)
    if not counted:
        return Figures(0, total, largest)
    per_question: dict[int, tuple[int, ...]] = {}
    for (_subject, question_id), steps in _cells(where, counted).items():
        before = per_question.get(question_id, (0,) * len(SCALE))
        per_question[question_id] = tuple(a + b for a, b in zip(before, steps, strict=True))
    locale = _locale()
    questions = [
        QuestionFigures(
            question,
            text(question, locale),
            _average(per_question[question.id]),
            per_question[question.id],
        )
        for question in _questions(per_question)
    ]
    chosen = [*where, Evaluation.subject.in_(counted)]
    comments = sorted(
        (c for c in db.session.scalars(select(Evaluation.comment).where(*chosen)) if c),
        key=str.casefold,
    )
    return Figures(sum(counts[s] for s in counted), total, largest, questions, comments)


def _questions(ids: Iterable[int]) -> list[EvaluationQuestion]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(EvaluationQuestion)
            .where(EvaluationQuestion.id.in_(wanted))
            .order_by(EvaluationQuestion.position, EvaluationQuestion.id)
        )
    )


def group_rows(where: list[Any]) -> list[GroupRow]:
    """Each group (version or session) that ``where`` selects, with averages when shown."""
    counts = _counts(where)
    counted = [subject for subject, n in counts.items() if n >= MIN_ANSWERS]
    averages: dict[str, dict[int, float]] = {}
    for (subject, question_id), steps in _cells(where, counted).items():
        averages.setdefault(subject, {})[question_id] = _average(steps)
    ids = {kind: [int(s[2:]) for s in counts if s.startswith(kind)] for kind in ("v:", "s:")}
    versions = {
        v.id: v
        for v in db.session.scalars(select(PackageVersion).where(PackageVersion.id.in_(ids["v:"])))
    }
    sessions = {
        s.id: s
        for s in db.session.scalars(
            select(ClassroomSession).where(ClassroomSession.id.in_(ids["s:"]))
        )
    }
    rows = [
        GroupRow(
            subject,
            n,
            averages.get(subject, {}),
            versions.get(int(subject[2:])) if subject.startswith("v:") else None,
            sessions.get(int(subject[2:])) if subject.startswith("s:") else None,
        )
        for subject, n in counts.items()
    ]
    return sorted(rows, key=_order)


def _order(row: GroupRow) -> tuple[Any, ...]:
    if row.session is not None:
        return (0, row.session.starts_at, row.session.id)
    if row.version is not None:
        return (0, row.version.number, row.version.id)
    return (1, row.subject)


def summary(course_id: int) -> CourseSummary:
    """A course's evaluations in aggregate, with each version's figures for its trend.

    What the review of the course's next version reads (NotFound for no such course);
    callers check the reader first (``check_course_reader``).
    """
    course = packages.get_course(course_id)
    kind = catalogue.course_kind(course.id)
    where = [Evaluation.course_id == course.id]
    versions = group_rows(where) if kind == "elearning" else []
    return CourseSummary(course, kind, figures(where), versions)


def session_rows(course_id: int, viewer: User) -> list[GroupRow]:
    """A classroom course's sessions with evaluations that ``viewer`` may see."""
    rows = group_rows([Evaluation.course_id == course_id, Evaluation.session_id.is_not(None)])
    return [r for r in rows if r.session is not None and may_see_trainer(viewer, r.session.trainer)]


def session_figures(session: ClassroomSession) -> Figures:
    """One session's figures."""
    return figures([Evaluation.session_id == session.id])


def _taught_by(trainer: User) -> list[Any]:
    taught = select(ClassroomSession.id).where(ClassroomSession.trainer_id == trainer.id)
    return [Evaluation.session_id.in_(taught)]


def trainer_figures(trainer: User) -> tuple[Figures, list[GroupRow]]:
    """A trainer's figures over their sessions, and each session's row."""
    where = _taught_by(trainer)
    return figures(where), group_rows(where)


def course_titles(course_ids: Iterable[int]) -> dict[int, str]:
    """The titles of some courses, by id."""
    wanted = set(course_ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(Course.id, Course.title).where(Course.id.in_(wanted)))
    return {course_id: title for course_id, title in rows}


def courses_evaluated() -> list[tuple[Course, int]]:
    """Every course with evaluations, by title, with how many answered."""
    counts = (
        select(Evaluation.course_id, func.count().label("n"))
        .group_by(Evaluation.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Course, counts.c.n)
        .join(counts, counts.c.course_id == Course.id)
        .order_by(Course.title, Course.id)
    )
    return [(course, int(n)) for course, n in rows]


def trainers_evaluated(viewer: User) -> list[tuple[User, int]]:
    """The trainers whose sessions have evaluations that ``viewer`` may see, by name."""
    rows = db.session.execute(
        select(User, func.count(Evaluation.id))
        .join(ClassroomSession, ClassroomSession.trainer_id == User.id)
        .join(Evaluation, Evaluation.session_id == ClassroomSession.id)
        .group_by(User.id)
        .order_by(User.name, User.id)
    )
    return [(trainer, int(n)) for trainer, n in rows if may_see_trainer(viewer, trainer)]


# -- Who may read what ----------------------------------------------------------------------


def check_course_reader(user: User) -> None:
    """A course's evaluations are for those who may author it (author/trainer and above)."""
    if not has_role("author", user):
        raise Forbidden(N_("Evaluations are shown to authors, trainers and managers"))


def may_see_trainer(viewer: User, trainer: User) -> bool:
    """The trainer, an admin, or a manager whose unit tree or manager line holds the trainer."""
    if viewer.role == "admin" or viewer.id == trainer.id:
        return True
    if viewer.role != "manager":
        return False
    return reports.scope_for(viewer).covers(trainer) or line.reports_to(trainer.id, viewer.id)


def check_trainer_reader(viewer: User, trainer: User) -> None:
    """Forbidden unless ``viewer`` may see the trainer's evaluations."""
    if not may_see_trainer(viewer, trainer):
        raise Forbidden(N_("A trainer's evaluations are shown to them and to their managers"))
