"""Question analysis pages for authors: a version's questions, and one question's responses.

portal/question_analysis.py computes them from the LRS; for a classroom course, of its
test's versions, portal/classroom_test_analysis.py (optionally one session's or one
trainer's answers).
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_babel import get_locale

from accounts.auth import role_required
from core.errors import NotFound
from core.i18n import N_
from packages import service as packages
from packages.models import Course, PackageVersion
from portal import bp, catalogue, classroom_test_analysis, classroom_tests, question_analysis
from portal.classroom_test_models import ClassroomTest
from portal.views.common import Page


def _version(course_id: int) -> tuple[list[PackageVersion], PackageVersion]:
    """The course's versions and the one asked for (``?version=<id>``; default newest)."""
    versions = question_analysis.versions_of(packages.get_course(course_id).id)
    if not versions:
        raise NotFound(N_("This course has no package versions"))
    asked = request.args.get("version", type=int)
    chosen = next((v for v in versions if v.id == asked), None) if asked else versions[0]
    if chosen is None:
        raise NotFound(N_("This course has no such version"))
    return versions, chosen


@bp.get("/author/courses/<int:course_id>/questions")
@role_required("author")
def question_analysis_page(course_id: int) -> Page:
    """Every question of a version: answered, difficulty, discrimination, flags (or CSV)."""
    course = packages.get_course(course_id)
    if catalogue.course_kind(course.id) == "classroom":
        return _classroom_page(course)
    versions, version = _version(course_id)
    analysis = question_analysis.analyse(version)
    if request.args.get("format") == "csv":
        name = f"questions-course-{version.course_id}-v{version.number}.csv"
        return _csv(analysis.questions, name)
    return render_template(
        "question_analysis.html",
        course=course,
        versions=versions,
        analysis=analysis,
        min_judged=question_analysis.MIN_JUDGED,
    )


@bp.get("/author/courses/<int:course_id>/questions/responses")
@role_required("author")
def question_responses(course_id: int) -> Page:
    """One question's responses: how often each was given, and whether it was right."""
    course = packages.get_course(course_id)
    if catalogue.course_kind(course.id) == "classroom":
        return _classroom_responses(course)
    _versions, version = _version(course_id)
    question = question_analysis.analyse(version).question(request.args.get("question", ""))
    if question is None:
        raise NotFound(N_("No such question in this version"))
    return render_template(
        "question_responses.html",
        course=course,
        version_number=version.number,
        back=url_for("portal.question_analysis_page", course_id=course.id, version=version.id),
        question=question,
        labels={},
    )


# -- Classroom tests (portal/classroom_test_analysis.py) --------------------------------


def _test(course: Course) -> tuple[list[ClassroomTest], ClassroomTest]:
    """The course's test versions and the one asked for (``?version=<id>``; default newest)."""
    versions = classroom_tests.versions_of(course.id)
    if not versions:
        raise NotFound(N_("This course has no test yet"))
    asked = request.args.get("version", type=int)
    chosen = next((v for v in versions if v.id == asked), None) if asked else versions[0]
    if chosen is None:
        raise NotFound(N_("This course has no such version"))
    return versions, chosen


def _classroom_analysis(test: ClassroomTest) -> classroom_test_analysis.TestAnalysis:
    """The version's analysis, of one session or one trainer's sessions when asked."""
    return classroom_test_analysis.analyse(
        test,
        str(get_locale() or "en"),
        session_id=request.args.get("session", type=int),
        trainer_id=request.args.get("trainer", type=int),
    )


def _classroom_page(course: Course) -> Page:
    versions, test = _test(course)
    analysis = _classroom_analysis(test)
    if request.args.get("format") == "csv":
        return _csv(analysis.questions, f"questions-course-{course.id}-test-v{test.number}.csv")
    sessions = classroom_test_analysis.sessions_of(test)
    return render_template(
        "classroom_question_analysis.html",
        course=course,
        versions=versions,
        analysis=analysis,
        sessions=sessions,
        trainers=classroom_test_analysis.trainers_of(sessions),
        session_id=request.args.get("session", type=int),
        trainer_id=request.args.get("trainer", type=int),
        min_judged=question_analysis.MIN_JUDGED,
    )


def _classroom_responses(course: Course) -> Page:
    _versions, test = _test(course)
    analysis = _classroom_analysis(test)
    ident = request.args.get("question", "")
    question = analysis.question(ident)
    if question is None:
        raise NotFound(N_("No such question in this version"))
    labels = classroom_test_analysis.response_labels(
        analysis.rows[ident], str(get_locale() or "en")
    )
    return render_template(
        "question_responses.html",
        course=course,
        version_number=test.number,
        back=url_for(
            "portal.question_analysis_page",
            course_id=course.id,
            version=test.id,
            session=request.args.get("session", type=int),
            trainer=request.args.get("trainer", type=int),
        ),
        question=question,
        labels={r: classroom_test_analysis.response_words(r, labels) for r in question.responses},
    )


_CSV_COLUMNS = (
    "question",
    "activity_id",
    "answered",
    "judged",
    "right",
    "difficulty",
    "discrimination",
    "flags",
)


def _csv(questions: list[question_analysis.Question], name: str) -> Response:
    """A version's table for a spreadsheet: one row per question, every figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for q in questions:
        # A leading =, +, - or @ would be a formula in a spreadsheet (CSV injection).
        label = "'" + q.label if q.label[:1] in ("=", "+", "-", "@") else q.label
        writer.writerow(
            [
                label,
                q.activity_id,
                q.answered,
                q.judged,
                q.right,
                "" if q.difficulty is None else round(q.difficulty, 3),
                "" if q.discrimination is None else round(q.discrimination, 3),
                " ".join(q.flags),
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
