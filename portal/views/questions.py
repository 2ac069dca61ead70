"""Question analysis pages for authors: a version's questions, and one question's responses.

portal/question_analysis.py computes them from the LRS.
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request

from accounts.auth import role_required
from core.errors import NotFound
from core.i18n import N_
from packages import service as packages
from packages.models import PackageVersion
from portal import bp, question_analysis
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
    versions, version = _version(course_id)
    analysis = question_analysis.analyse(version)
    if request.args.get("format") == "csv":
        return _csv(analysis)
    return render_template(
        "question_analysis.html",
        course=packages.get_course(course_id),
        versions=versions,
        analysis=analysis,
        min_judged=question_analysis.MIN_JUDGED,
    )


@bp.get("/author/courses/<int:course_id>/questions/responses")
@role_required("author")
def question_responses(course_id: int) -> Page:
    """One question's responses: how often each was given, and whether it was right."""
    _versions, version = _version(course_id)
    question = question_analysis.analyse(version).question(request.args.get("question", ""))
    if question is None:
        raise NotFound(N_("No such question in this version"))
    return render_template(
        "question_responses.html",
        course=packages.get_course(course_id),
        version=version,
        question=question,
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


def _csv(analysis: question_analysis.Analysis) -> Response:
    """The version's table for a spreadsheet: one row per question, every figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "question",
            "activity_id",
            "answered",
            "judged",
            "right",
            "difficulty",
            "discrimination",
            "flags",
        ]
    )
    for q in analysis.questions:
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
    name = f"questions-course-{analysis.version.course_id}-v{analysis.version.number}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
