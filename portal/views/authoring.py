"""Authors' and trainers' pages: packages, course metadata, publishing, sessions, attendance."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import (
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import Schema
from werkzeug.wrappers import Response as BaseResponse

from accounts import service, units
from accounts.auth import role_required
from core import jobs
from core.db import db
from core.errors import AppError, Conflict, NotFound
from packages import imports as package_imports
from packages import review, review_log
from packages import service as packages
from packages.models import Course, PackageVersion
from packages.report import PackageRefused
from portal import (
    bookings,
    bp,
    catalogue,
    classroom,
    classroom_test_sittings,
    classroom_tests,
    course_images,
    schemas,
    tasks,
)
from portal.views.common import (
    Page,
    attempt,
    form_data,
    preview_url,
    refuse,
    render,
    show_refusal,
    submit,
    this_user,
)
from portal.views.sessions import naive_utc

# -- Authoring --------------------------------------------------------------------------------


@bp.route("/author", methods=["GET", "POST"])
@role_required("author")
def author_courses() -> Page:
    """The author's course list, package upload and new classroom course."""
    report = None
    if request.method == "POST":
        if request.form.get("action") == "classroom":
            course = submit(
                schemas.CourseMetaSchema(),
                lambda data: catalogue.create_classroom_course(
                    data["title"], data["description"], data["category"], data["unit"]
                ),
                _("Classroom course created."),
            )
            if course is not None:
                return redirect(url_for("portal.author_course", course_id=course.id))
        elif (data := form_data(schemas.UploadSchema())) is not None:
            report, result, job = _upload(
                lambda stream, name: catalogue.upload_course(
                    stream,
                    name,
                    data["title"],
                    data["category"],
                    data["unit"],
                    data["publish"],
                    by=this_user(),
                ),
                schemas.UploadSchema(),
                options=data,
            )
            if job is not None:
                return redirect(job)
            if result is not None:
                return redirect(
                    url_for("portal.author_course", course_id=result.course.id, uploaded=1)
                )
    return render(
        "author_courses.html",
        courses=catalogue.authored_courses(),
        units=units.choices(),
        report=report,
        may_publish_directly=review.may_publish_directly(this_user()),
    )


def _upload(
    run: Callable[[Any, str], packages.ImportResult],
    schema: Schema | None = None,
    course: Course | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Any, packages.ImportResult | None, str | None]:
    """Import the uploaded ``file``; on refusal return the validation report to show.

    A large upload is kept for a background job instead: the third value is then the
    page that follows it (``options``: the upload form's, for a new course).
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        message = _("Choose a zip file to upload.")
        refuse(None, [{"path": "file", "message": message}], label=lambda _name: _("Package"))
        return None, None, None
    try:
        if package_imports.in_background(request.content_length):
            return None, None, _in_background(upload.stream, upload.filename, course, options)
        result = run(upload.stream, upload.filename)
        db.session.commit()
    except PackageRefused as exc:
        db.session.rollback()
        g.form_status = 400
        flash(_("The package was refused; nothing was stored."), "error")
        return {"errors": exc.errors, "warnings": exc.warnings}, None, None
    except AppError as exc:
        db.session.rollback()
        show_refusal(exc, schema)
        return None, None, None
    flash(_("Package imported as version %(n)s.", n=result.version.number), "success")
    return None, result, None


def _in_background(
    stream: Any, filename: str, course: Course | None, options: dict[str, Any] | None
) -> str:
    """Check what can be checked now, keep the upload, queue its import; its page's URL."""
    chosen = {"course_id": course.id if course else None, **(options or {})}
    catalogue.check_upload(course, this_user(), filename, bool(chosen.get("publish")))
    storage = packages.get_storage()
    name = storage.keep_upload(stream)
    try:
        task = jobs.enqueue(tasks.UPLOAD_JOB, name, this_user().id, filename, json.dumps(chosen))
    except Exception:
        storage.drop_upload(name)
        raise
    return url_for("portal.author_import", task_id=task.id)


@bp.get("/author/imports/<task_id>")
@role_required("author")
def author_import(task_id: str) -> Page:
    """A large upload imported in the background: how far it is, then what it made."""
    run = package_imports.status(task_id, this_user(), tasks.UPLOAD_JOB)
    result = run.result if run.status == "done" else None
    course = None
    if result and "course" in result:
        course = db.session.get(Course, result["course"])
    return render("author_import.html", job=run, result=result, course=course)


@bp.route("/author/courses/<int:course_id>", methods=["GET", "POST"])
@role_required("author")
def author_course(course_id: int) -> Page:
    """Edit metadata, publish or unpublish, upload a version, plan sessions, preview."""
    course = packages.get_course(course_id)
    kind = catalogue.course_kind(course.id)
    report = None
    if request.method == "POST":
        report, done = _course_action(course)
        if done is not None:
            return done
    versions = packages.list_versions(course)
    return render(
        "author_course.html",
        image=course_images.get(course.id),
        course=course,
        kind=kind,
        versions=versions,
        report=report,
        units=units.choices(keep=course.owner_unit_id),
        preview_url=preview_url(course.id),
        sessions=classroom.sessions_of(course.id) if kind == "classroom" else [],
        needs_approval=bookings.needs_approval(course.id),
        trainers=service.list_trainers(),
        live=packages.latest_published_version(course),
        review_required=review.required(),
        may_publish_directly=review.may_publish_directly(this_user()),
        history=review_log.history(course.id),
    )


def _course_action(course: Course) -> tuple[Any, BaseResponse | None]:
    """The course page's POST, by its ``action``: (an upload's report, or where to go next)."""
    report = None
    action = request.form.get("action")
    if action == "metadata":
        submit(
            schemas.CourseMetaSchema(),
            lambda data: catalogue.update_metadata(
                course, data["title"], data["description"], data["category"], data["unit"]
            ),
            _("Saved."),
        )
    elif action == "presentation":
        upload = request.files.get("image")
        submit(
            schemas.PresentationSchema(),
            lambda data: catalogue.update_presentation(
                course,
                data["summary"],
                upload.stream if upload is not None and upload.filename else None,
                data["remove_image"],
            ),
            _("Saved."),
        )
    elif action in ("publish", "unpublish"):
        attempt(
            lambda: catalogue.set_published(course, action == "publish"),
            _("Published.") if action == "publish" else _("Unpublished."),
        )
    elif action == "version":
        report, _result, job = _upload(
            lambda stream, name: catalogue.upload_version(course, stream, name, this_user()),
            course=course,
        )
        if job is not None:
            return None, redirect(job)
    elif action in _REVIEW_STEPS:
        _review_step(course, action)
    elif action == "approval":
        attempt(
            lambda: bookings.set_needs_approval(
                course.id, request.form.get("booking_approval") == "true"
            ),
            _("Saved."),
        )
    elif action == "session":
        submit(
            schemas.SessionSchema(),
            lambda data: classroom.create_session(
                course,
                naive_utc(data["starts_at"]),
                data["place"],
                service.get_user(data["trainer_id"]),
                data["seats"],
                ends_at=naive_utc(data["ends_at"]),
                planned_by=this_user(),
                confirm_past=data["confirm_past"],
            ),
            _("Session planned."),
        )
    if g.get("form_status", 200) == 200 and report is None:
        return None, redirect(url_for("portal.author_course", course_id=course.id))
    return report, None


# -- Review: the author's steps (packages/review.py) -----------------------------------------

_REVIEW_STEPS = ("submit", "withdraw", "publish_version")


def _version_of(course: Course) -> PackageVersion:
    """The version the form names (``version_id``), of this course only."""
    raw = request.form.get("version_id", "")
    version = packages.get_version(int(raw)) if raw.isdigit() else None
    if version is None or version.course_id != course.id:
        raise NotFound("No such version of this course")
    return version


def _review_step(course: Course, action: str) -> None:
    """Submit a draft for review, withdraw it, or publish an approved version."""
    user = this_user()
    if action == "submit":
        submit(
            schemas.SubmitReviewSchema(),
            lambda data: review.submit(_version_of(course), user, data["note"]),
            _("Submitted for review. The reviewers have been told."),
        )
    elif action == "withdraw":
        attempt(lambda: review.withdraw(_version_of(course), user), _("Withdrawn from review."))
    else:
        attempt(
            lambda: review.publish(_version_of(course), user),
            _("Published: new attempts get this version."),
        )


# -- Classroom: the trainer's pages ----------------------------------------------------------


@bp.get("/trainer")
@role_required("author")
def trainer_sessions() -> str:
    """Sessions the trainer teaches."""
    return render_template(
        "trainer_sessions.html", sessions=classroom.sessions_for_trainer(this_user())
    )


@bp.route("/trainer/sessions/<int:session_id>", methods=["GET", "POST"])
@role_required("author")
def trainer_session(session_id: int) -> Page:
    """The enrolled learners; record attendance, completion, pass/fail and score."""
    user = this_user()
    session_ = classroom.get_session(session_id)
    classroom.check_trainer(session_, user)
    enrolled = classroom.enrolments(session_)
    if request.method == "POST" and request.form.get("correct", "").isdigit():
        # Voiding takes two steps: a form that posts "correct" only leads to the
        # confirmation page, which says what will be voided.
        target = url_for(
            "portal.correct_attendance",
            session_id=session_id,
            enrolment_id=int(request.form["correct"]),
        )
        return redirect(target, 303)
    if request.method == "POST" and (rows := _attendance_rows(enrolled)) is not None:
        ids = attempt(lambda: classroom.record_attendance(session_, user, rows))
        if ids is not None:
            flash(_("Attendance recorded (%(n)s statements in the LRS).", n=len(ids)), "success")
            return redirect(url_for("portal.trainer_session", session_id=session_id))
    course = packages.get_course(session_.course_id)
    return render(
        "trainer_session.html",
        session=session_,
        course=course,
        enrolled=enrolled,
        test=classroom_test_sittings.session_test(session_),
        has_test=classroom_tests.newest(course.id) is not None,
        sittings=classroom_test_sittings.sittings(session_),
    )


def _attendance_rows(enrolled: list[Any]) -> dict[int, dict[str, Any]] | None:
    """Each enrolment's row of the attendance form (``e<id>-score``...); None if refused."""
    rows = {}
    for enrolment in enrolled:
        prefix = f"e{enrolment.id}-"
        raw = {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix)}
        rows[enrolment.id] = form_data(
            schemas.AttendanceRowSchema(),
            {k: v for k, v in raw.items() if v != ""},
            prefix,
            functools.partial(_row_label, name=enrolment.user.name),
        )
    if any(row is None for row in rows.values()):
        return None
    return rows


def _row_label(field: str, name: str) -> str:
    """A field of one learner's row, as the summary of problems names it."""
    return _("%(field)s, %(name)s", field=field, name=name)


@bp.route("/trainer/sessions/<int:session_id>/correct/<int:enrolment_id>", methods=["GET", "POST"])
@role_required("author")
def correct_attendance(session_id: int, enrolment_id: int) -> Page:
    """Void what was recorded for one learner, once the trainer has confirmed it.

    GET says what will be voided; only a POST with ``confirm=1`` (and the CSRF token)
    voids it. Anything else voids nothing.
    """
    user = this_user()
    session_ = classroom.get_session(session_id)
    classroom.check_trainer(session_, user)
    found = [e for e in classroom.enrolments(session_) if e.id == enrolment_id]
    if not found:
        raise NotFound("No such enrolment on this session")
    enrolment = found[0]
    if enrolment.recorded_at is None:
        raise Conflict("Nothing has been recorded for this learner yet")
    if request.method == "POST" and request.form.get("confirm") != "1":
        g.form_status = 400
        flash(_("Nothing was voided: confirm with the button below."), "error")
    elif request.method == "POST":
        count = attempt(lambda: classroom.correct_attendance(session_, user, enrolment.id))
        if count is not None:
            flash(
                _("Results voided: %(n)s statements; record the learner again.", n=count),
                "success",
            )
            return redirect(url_for("portal.trainer_session", session_id=session_id))
    course = packages.get_course(session_.course_id)
    return render("trainer_correct.html", session=session_, course=course, enrolment=enrolment)
