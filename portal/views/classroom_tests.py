"""Classroom tests: the author's questions, the trainer's side, the participant's test.

The trainer opens and closes a session's test and enters paper forms; a participant
answers their own.

Who may do what is decided in portal/classroom_tests.py and
portal/classroom_test_sittings.py; these views parse, call them and commit once.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from accounts.auth import login_required, role_required
from core.errors import BadRequest
from packages import service as packages
from portal import bp, classroom, classroom_test_sittings, classroom_tests
from portal.classroom_test_models import ClassroomTest, ClassroomTestQuestion
from portal.classroom_test_schemas import OPTION_ROWS, QuestionSchema, answer_schema
from portal.views.common import Page, attempt, form_data, render, submit, this_user


def _locale() -> str:
    return str(get_locale() or "en")


def _worded(test: ClassroomTest | None) -> list[tuple[ClassroomTestQuestion, str]]:
    """A version's questions with their words in the reader's language."""
    if test is None:
        return []
    locale = _locale()
    return [
        (q, classroom_tests.words(q.text_sv, q.text_en, locale))
        for q in classroom_tests.questions_of(test)
    ]


def _answers(questions: list[tuple[ClassroomTestQuestion, str]]) -> dict[int, list[str]] | None:
    """The test form's answers by question id (None: refused, shown again)."""
    data = form_data(answer_schema(questions))
    if data is None:
        return None
    return {
        q.id: list(value) if isinstance(value := data[f"q{q.id}"], list) else [value]
        for q, _words in questions
    }


def _question_id() -> int:
    raw = request.form.get("question_id", "")
    if not raw.isdigit():
        raise BadRequest("Which question?", errors=[{"path": "question_id", "message": "missing"}])
    return int(raw)


# -- The author's test ------------------------------------------------------------------


@bp.route("/author/courses/<int:course_id>/test", methods=["GET", "POST"])
@role_required("author")
def author_test(course_id: int) -> Page:
    """The test's questions (its newest version); add or remove one."""
    course = packages.get_course(course_id)
    classroom_tests.check_classroom(course)
    if request.method == "POST":
        if request.form.get("action") == "delete":
            question_id = _question_id()
            attempt(
                lambda: classroom_tests.delete_question(course, question_id),
                _("Question removed."),
            )
        else:
            submit(
                QuestionSchema(),
                lambda data: classroom_tests.add_question(course, data),
                _("Question added."),
            )
        if not _refused():
            return redirect(url_for("portal.author_test", course_id=course.id))
    test = classroom_tests.newest(course.id)
    return render(
        "classroom_test.html",
        course=course,
        test=test,
        questions=_worded(test),
        answered=classroom_tests.sittings_count(test) if test is not None else 0,
        option_rows=OPTION_ROWS,
    )


@bp.route(
    "/author/courses/<int:course_id>/test/questions/<int:question_id>", methods=["GET", "POST"]
)
@role_required("author")
def author_test_question(course_id: int, question_id: int) -> Page:
    """Change one question of the test (in its next version, once it has answers)."""
    course = packages.get_course(course_id)
    classroom_tests.check_classroom(course)
    question = classroom_tests.question_in(course, question_id)
    if request.method == "POST":
        test = submit(
            QuestionSchema(),
            lambda data: classroom_tests.change_question(course, question_id, data),
            _("Saved."),
        )
        if test is not None:
            return redirect(url_for("portal.author_test", course_id=course.id))
    test = classroom_tests.newest(course.id)
    return render(
        "classroom_test_question.html",
        course=course,
        question=question,
        answered=classroom_tests.sittings_count(test) if test is not None else 0,
        option_rows=OPTION_ROWS,
    )


def _refused() -> bool:
    """Whether this request's form or action was refused (views/common.py's record)."""
    return int(g.get("form_status", 200)) != 200


# -- The trainer: open, close, paper forms -------------------------------------------------


@bp.post("/trainer/sessions/<int:session_id>/test")
@role_required("author")
def trainer_test(session_id: int) -> Page:
    """Open the session's test to its participants, or close it."""
    session_ = classroom.get_session(session_id)
    classroom.check_trainer(session_, this_user())  # anyone else: 403, not a message
    opening = request.form.get("action") == "open"
    attempt(
        lambda: classroom_test_sittings.set_open(session_, this_user(), opening),
        _("The test is open: participants find it under My learning.")
        if opening
        else _("The test is closed."),
    )
    return redirect(url_for("portal.trainer_session", session_id=session_id), 303)


@bp.route("/trainer/sessions/<int:session_id>/test/<int:enrolment_id>", methods=["GET", "POST"])
@role_required("author")
def trainer_test_paper(session_id: int, enrolment_id: int) -> Page:
    """Enter a participant's answers from a paper form."""
    user = this_user()
    session_ = classroom.get_session(session_id)
    enrolment = classroom_test_sittings.paper_form(session_, user, enrolment_id)
    test = classroom_test_sittings.test_for_paper(session_)
    questions = _worded(test)
    if request.method == "POST" and (answers := _answers(questions)) is not None:
        sitting = attempt(
            lambda: classroom_test_sittings.record_paper(session_, user, enrolment_id, answers)
        )
        if sitting is not None:
            message = _(
                "%(name)s: %(right)s of %(total)s right.",
                name=enrolment.user.name,
                right=sitting.right,
                total=sitting.total,
            )
            flash(message, "success")
            return redirect(url_for("portal.trainer_session", session_id=session_id))
    return render(
        "classroom_test_take.html",
        session=session_,
        course=packages.get_course(session_.course_id),
        test=test,
        questions=questions,
        person=enrolment.user,
        sitting=None,
    )


# -- The participant ---------------------------------------------------------------------


@bp.route("/my/sessions/<int:session_id>/test", methods=["GET", "POST"])
@login_required
def take_test(session_id: int) -> Page:
    """The session's test for the signed-in participant, or their own result once taken."""
    user = this_user()
    session_ = classroom.get_session(session_id)
    course = packages.get_course(session_.course_id)
    sitting = classroom_test_sittings.sitting_of(session_, user)
    if sitting is not None:
        return render(
            "classroom_test_take.html",
            session=session_,
            course=course,
            test=None,
            questions=[],
            person=None,
            sitting=sitting,
        )
    found = classroom_test_sittings.for_learner(session_, user)
    questions = _worded(found.test)
    if request.method == "POST" and (answers := _answers(questions)) is not None:
        done = attempt(
            lambda: classroom_test_sittings.take(session_, user, answers),
            _("Thank you! Your answers have been saved."),
        )
        if done is not None:
            return redirect(url_for("portal.take_test", session_id=session_id))
    return render(
        "classroom_test_take.html",
        session=session_,
        course=course,
        test=found.test,
        questions=questions,
        person=None,
        sitting=None,
    )
