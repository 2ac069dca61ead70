"""Question analysis of a course version, computed from the LRS's ``answered`` statements.

Every attempt at the version (the player's registrations; an author's previews are left
out) counts once per question, by its last answer (``tally``, which classroom tests
share: portal/classroom_test_analysis.py): SCORM interactions become ``answered``
statements in the player (player/translate.py, xAPI SCORM Profile §3.2), and cmi5 AUs
and xAPI content send their own in the attempt's registration.

For each question (its activity id):
- **answered**: attempts that answered it; **judged**: those whose answer says whether
  it was right (``result.success``);
- **difficulty**: the share of judged answers that were right (classical test theory's
  p-value; 0.3 to 0.9 is the usual working range);
- **discrimination**: the point-biserial correlation between being right on this
  question and the share right on the attempt's *other* questions (the corrected
  item-rest correlation): how well the question separates those who know the course
  from those who do not. Below 0.2 it separates poorly (Ebel's guideline); below 0 the
  strong learners get it wrong more often than the weak, which usually means a wrong
  answer key or a misleading question;
- **responses**: how often each response was given, and whether it was judged right.
Flags are raised only with at least ``MIN_JUDGED`` judged answers; fewer tell nothing.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select

from core import vocabulary
from core.db import db
from lrs.queries import statements_in_registrations
from packages.models import PackageVersion
from player.models import Attempt

MIN_JUDGED = 5
HARD, EASY = 0.3, 0.9  # difficulty outside this range is flagged
WEAK = 0.2  # discrimination below this is flagged


@dataclass
class Question:
    """One question's figures over a version's attempts."""

    activity_id: str
    label: str
    kind: str
    answered: int = 0
    judged: int = 0
    right: int = 0
    discrimination: float | None = None
    responses: Counter[str] = field(default_factory=Counter)
    right_responses: set[str] = field(default_factory=set)

    @property
    def difficulty(self) -> float | None:
        """The share of judged answers that were right (None: none judged)."""
        return self.right / self.judged if self.judged else None

    @property
    def flags(self) -> list[str]:
        """Why the question deserves a look in the next review (empty: no reason)."""
        if self.judged < MIN_JUDGED or self.difficulty is None:
            return []
        found = []
        if self.difficulty < HARD:
            found.append("hard")
        if self.difficulty > EASY:
            found.append("easy")
        if self.discrimination is not None:
            if self.discrimination < 0:
                found.append("negative")
            elif self.discrimination < WEAK:
                found.append("weak")
        return found


@dataclass
class Analysis:
    """The questions of one course version, in the order learners first met them."""

    version: PackageVersion
    attempts: int
    questions: list[Question]

    def question(self, activity_id: str) -> Question | None:
        """One question by its activity id."""
        return next((q for q in self.questions if q.activity_id == activity_id), None)


def versions_of(course_id: int) -> list[PackageVersion]:
    """The course's package versions, newest first."""
    stmt = (
        select(PackageVersion)
        .where(PackageVersion.course_id == course_id)
        .order_by(PackageVersion.number.desc())
    )
    return list(db.session.scalars(stmt))


def analyse(version: PackageVersion) -> Analysis:
    """The question analysis of a version from the LRS (see the module's docstring)."""
    registrations = db.session.scalars(
        select(Attempt.registration).where(
            Attempt.version_id == version.id, Attempt.preview.is_(False)
        )
    ).all()
    answered = statements_in_registrations(registrations, vocabulary.VERBS["answered"])
    attempts, questions = tally(answered)
    return Analysis(version, attempts, list(questions.values()))


def tally(statements: Iterable[dict[str, Any]]) -> tuple[int, dict[str, Question]]:
    """Attempts and each question's figures from ``answered`` statements, by question id.

    An attempt is a registration and an actor: an e-learning attempt has one person, a
    classroom session's registration many (portal/classroom_test_analysis.py); each
    counts once per question, by its last answer (statements come in the order stored).
    """
    questions: dict[str, Question] = {}
    last: dict[tuple[str, str], dict[str, Any]] = {}  # (attempt, question) → answer
    for statement in statements:
        activity = statement["object"]
        if activity.get("objectType", "Activity") != "Activity":
            continue
        ident = str(activity["id"])
        if ident not in questions:
            questions[ident] = _question(activity)
        attempt = statement["context"]["registration"] + " " + _who(statement["actor"])
        last[(attempt, ident)] = statement.get("result") or {}
    per_attempt: dict[str, dict[str, bool]] = {}
    for (attempt, ident), result in last.items():
        question = questions[ident]
        question.answered += 1
        response = result.get("response")
        if response is not None:
            question.responses[str(response)] += 1
        success = result.get("success")
        if isinstance(success, bool):
            question.judged += 1
            question.right += success
            per_attempt.setdefault(attempt, {})[ident] = success
            if success and response is not None:
                question.right_responses.add(str(response))
    for question in questions.values():
        question.discrimination = _item_rest(question.activity_id, per_attempt)
    return len({attempt for attempt, _ident in last}), questions


def _who(actor: dict[str, Any]) -> str:
    """An actor's inverse functional identifier, as one string (xAPI 1.0.3 Data §2.4.2.3)."""
    ifi = {k: actor[k] for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in actor}
    return json.dumps(ifi, sort_keys=True)


def _question(activity: dict[str, Any]) -> Question:
    """A question named by its description or name, else the last part of its id."""
    definition = activity.get("definition") or {}
    label = ""
    for key in ("description", "name"):
        texts = definition.get(key) or {}
        if texts:
            label = str(next(iter(texts.values())))
            break
    if not label:
        label = unquote(str(activity["id"]).rstrip("/").rsplit("/", 1)[-1])
    return Question(str(activity["id"]), label, str(definition.get("interactionType") or ""))


def _item_rest(ident: str, per_attempt: dict[str, dict[str, bool]]) -> float | None:
    """The point-biserial correlation of being right on ``ident`` with the rest score.

    The rest score is the share right among the attempt's other judged questions
    (attempts that answered only this one have none and are left out). None when it
    cannot be told: too few attempts, everyone right or everyone wrong, or no spread
    in the rest scores.
    """
    pairs = [
        (answers[ident], sum(v for k, v in answers.items() if k != ident) / (len(answers) - 1))
        for answers in per_attempt.values()
        if ident in answers and len(answers) > 1
    ]
    if len(pairs) < MIN_JUDGED:
        return None
    rests = [rest for _right, rest in pairs]
    mean = sum(rests) / len(rests)
    spread = math.sqrt(sum((r - mean) ** 2 for r in rests) / len(rests))
    right = [rest for ok, rest in pairs if ok]
    wrong = [rest for ok, rest in pairs if not ok]
    if not right or not wrong or spread == 0:
        return None
    p = len(right) / len(pairs)
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / spread * math.sqrt(p * (1 - p))
