"""The IRIs the product writes and reads: verbs, activity types, cmi5 terms, our activities.

Each is defined here once, as Ralph keeps its ``concepts/verbs`` and
``concepts/activity_types``; the IRIs of Kompetens's own activities (catalogue courses,
classroom sessions, the parts of a SCO) are built and parsed here too, so that what the
player and the portal write is what the reports read back. Pure: the agent home page
(``AGENT_HOMEPAGE``) is passed in.

- ADL verbs and activity types: the xAPI vocabulary (http://adlnet.gov/expapi/verbs/,
  http://adlnet.gov/expapi/activities/), as the xAPI SCORM Profile uses them (§3.2
  https://github.com/adlnet/xAPI-SCORM-Profile/blob/master/xapi-scorm-profile.md).
- cmi5 (https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md): §9.3 verbs
  (satisfied, abandoned and waived are ADL's w3id verbs), §9.6.2 category, §9.6.3
  extensions, §9.5.4.1 the waive reason, §13.1.1 course and block types.
- Course evaluations: ADL's "responded" verb (a learner's answers to the organisation's
  questions) about a survey activity (the xAPI registry's
  http://id.tincanapi.com/activitytype/survey) of the course or session.
- Classroom tests: ADL's "answered" verb about each question, a ``cmi.interaction``
  activity (xAPI 1.0.3 Data §2.4.4.1, interaction activities), whose parent is the test
  version, an ADL "assessment".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

ADL_VERB = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY = "http://adlnet.gov/expapi/activities/"
_W3ID_VERB = "https://w3id.org/xapi/adl/verbs/"

#: Every verb the product writes or reads, by its display name.
VERBS: dict[str, str] = {
    **{
        name: ADL_VERB + name
        for name in (
            "answered",
            "attended",
            "completed",
            "failed",
            "initialized",
            "launched",
            "passed",
            "responded",
            "resumed",
            "scored",
            "suspended",
            "terminated",
            "voided",
        )
    },
    **{name: _W3ID_VERB + name for name in ("abandoned", "satisfied", "waived")},
}
COMPLETED = VERBS["completed"]
PASSED = VERBS["passed"]
FAILED = VERBS["failed"]
TERMINATED = VERBS["terminated"]
SATISFIED = VERBS["satisfied"]
WAIVED = VERBS["waived"]
#: The outcome verbs a course's result is told by (reports count them), IRI → name.
OUTCOME_VERBS = {COMPLETED: "completed", PASSED: "passed", FAILED: "failed"}

#: Activity types by name: the ADL ones, the SCORM profile's, cmi5's.
ACTIVITY_TYPES: dict[str, str] = {
    **{
        name: ADL_ACTIVITY + name
        for name in (
            "assessment",
            "attempt",
            "cmi.interaction",
            "course",
            "interaction",
            "lesson",
            "meeting",
            "objective",
            "profile",
        )
    },
    "cmi5 course": "https://w3id.org/xapi/cmi5/activitytype/course",
    "cmi5 block": "https://w3id.org/xapi/cmi5/activitytype/block",
    "survey": "http://id.tincanapi.com/activitytype/survey",
}
TYPE_COURSE = ACTIVITY_TYPES["course"]
TYPE_MEETING = ACTIVITY_TYPES["meeting"]
TYPE_INTERACTION = ACTIVITY_TYPES["cmi.interaction"]
TYPE_CMI5_COURSE = ACTIVITY_TYPES["cmi5 course"]
TYPE_CMI5_BLOCK = ACTIVITY_TYPES["cmi5 block"]
TYPE_SURVEY = ACTIVITY_TYPES["survey"]
TYPE_ASSESSMENT = ACTIVITY_TYPES["assessment"]
RESPONDED = VERBS["responded"]
#: Types of the parts of a lesson (objectives, interactions), whose outcomes are not
#: a course's (xAPI SCORM Profile §3.2: objectives become passed/failed statements too).
PART_TYPES = frozenset(
    ACTIVITY_TYPES[name] for name in ("objective", "interaction", "cmi.interaction")
)

#: The xAPI SCORM Profile's category activity (profile §3.2, "context").
SCORM_PROFILE = "https://w3id.org/xapi/scorm"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CMI5_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/"
CMI5_SESSION = CMI5_EXTENSION + "sessionid"
CMI5_REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"


def verb(name: str) -> dict[str, Any]:
    """The xAPI Verb object of a verb above, displayed by its name (en-US)."""
    return {"id": VERBS[name], "display": {"en-US": name}}


def activity_type(name: str) -> str:
    """The IRI of an activity type above by its name (KeyError for one not defined)."""
    return ACTIVITY_TYPES[name]


# -- our own activities ------------------------------------------------------------------


def _home(home: str) -> str:
    return home.rstrip("/")


def course_iri(home: str, course_id: int) -> str:
    """A catalogue course's activity id, ``{AGENT_HOMEPAGE}/courses/<id>``.

    What the LMS records a course's result about (player/outcome.py) and the portal a
    classroom course's; the reports map it back with :func:`course_id_of`.
    """
    return f"{_home(home)}/courses/{course_id}"


def course_definition(title: str) -> dict[str, Any]:
    """A course's activity definition, alike in every statement that names the course.

    The title's language is not known (it is whatever the course's author wrote), so it
    is "und" (RFC 5646: undetermined). Every writer describes a course this way: a
    statement whose description differs from the one merged last makes the LRS merge
    the definition again (lrs.definitions), in a row every learner of the course writes.
    """
    return {"type": TYPE_COURSE, "name": {"und": title}}


def course_id_of(home: str, iri: str) -> int | None:
    """The catalogue course id in a :func:`course_iri`, or None for any other IRI."""
    prefix = f"{_home(home)}/courses/"
    tail = iri[len(prefix) :] if iri.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def session_iri(home: str, session_id: int) -> str:
    """A classroom session's activity id, ``{AGENT_HOMEPAGE}/sessions/<id>``."""
    return f"{_home(home)}/sessions/{session_id}"


def classroom_category(home: str) -> str:
    """The category activity of every classroom statement."""
    return f"{_home(home)}/kinds/classroom"


def evaluation_iri(subject: str) -> str:
    """The evaluation (survey) of a course or session: ``<course or session IRI>/evaluation``.

    Not a course IRI (:func:`course_id_of` gives None), so no report counts it as one.
    """
    return f"{subject}/evaluation"


def evaluation_question_iri(home: str, question_id: int) -> str:
    """An evaluation question, ``{AGENT_HOMEPAGE}/evaluation-questions/<id>``."""
    return f"{_home(home)}/evaluation-questions/{question_id}"


def evaluation_answers_extension(home: str) -> str:
    """The result extension holding an evaluation's Likert answers (question IRI → 1..5)."""
    return f"{_home(home)}/extensions/evaluation-answers"


def evaluation_version_extension(home: str) -> str:
    """The context extension naming the number of the course version evaluated."""
    return f"{_home(home)}/extensions/course-version"


def evaluation_category(home: str) -> str:
    """The category activity of every evaluation statement."""
    return f"{_home(home)}/kinds/evaluation"


def classroom_test_iri(home: str, test_id: int) -> str:
    """A version of a classroom course's test, ``{AGENT_HOMEPAGE}/classroom-tests/<id>``."""
    return f"{_home(home)}/classroom-tests/{test_id}"


def classroom_question_iri(home: str, test_id: int, question_id: int) -> str:
    """A question of a test version, ``<test IRI>/questions/<id>``.

    A question of a new version is a new row, so a new activity: its canonical
    definition (the text, the right answers) never changes under answers given.
    """
    return f"{classroom_test_iri(home, test_id)}/questions/{question_id}"


def objective_iri(sco: str, objective_id: str) -> str:
    """A SCO objective's activity id, ``<sco>/objectives/<id>`` (SCORM profile §3.2)."""
    return f"{sco}/objectives/{quote(objective_id, safe='')}"


def interaction_iri(sco: str, interaction_id: str) -> str:
    """A SCO interaction's activity id, ``<sco>/interactions/<id>`` (SCORM profile §3.2)."""
    return f"{sco}/interactions/{quote(interaction_id, safe='')}"


def is_part(activity: dict[str, Any]) -> bool:
    """Whether an activity is a part of a lesson (an objective or interaction), by type or id."""
    kind = (activity.get("definition") or {}).get("type")
    ident = str(activity.get("id", ""))
    return kind in PART_TYPES or "/objectives/" in ident or "/interactions/" in ident
