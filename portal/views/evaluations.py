"""Course evaluations: the learner's form, the summaries in aggregate, the admins' questions.

Who may answer and who may read what is decided in portal/evaluations.py and
portal/evaluation_summary.py; these views parse, call them and commit once.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from accounts import service
from accounts.auth import login_required, role_required
from accounts.models import User
from core.errors import Forbidden
from packages import service as packages
from portal import bp, classroom, evaluation_questions, evaluation_summary, evaluations
from portal.evaluation_schemas import COMMENT_MAX, QuestionSchema, answer_schema
from portal.evaluation_summary import MIN_ANSWERS
from portal.views.common import Page, attempt, form_data, render, submit, this_user


def _locale() -> str:
    return str(get_locale() or "en")


def _common() -> dict[str, object]:
    """What every evaluation page draws with: the scale's words and the minimum."""
    return {"scale": evaluation_questions.SCALE_LABELS, "min_answers": MIN_ANSWERS}


# -- The learner's evaluation -------------------------------------------------------------


@bp.route("/my/evaluations/courses/<int:course_id>", methods=["GET", "POST"])
@login_required
def evaluate_course(course_id: int) -> Page:
    """Evaluate the version of an e-learning course the signed-in learner completed."""
    user = this_user()
    return _evaluate(user, evaluations.course_target(user, course_id))


@bp.route("/my/evaluations/sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def evaluate_session(session_id: int) -> Page:
    """Evaluate a classroom session the signed-in learner attended."""
    user = this_user()
    return _evaluate(user, evaluations.session_target(user, session_id))


def _evaluate(user: User, target: evaluations.Target) -> Page:
    """The form, and its answers recorded for the signed-in person (never one sent)."""
    questions = evaluation_questions.active_questions()
    locale = _locale()
    if request.method == "POST":
        schema = answer_schema(questions, locale)
        data = form_data(schema)
        if data is not None:
            values = {q.id: int(data[f"q{q.id}"]) for q in questions}
            done = attempt(
                lambda: evaluations.submit(user, target, values, data["comment"]),
                _("Thank you! Your evaluation has been saved."),
                schema,
            )
            if done is not None:
                return redirect(url_for("portal.my_learning"))
    return render(
        "evaluate.html",
        target=target,
        questions=[(q, evaluation_questions.text(q, locale)) for q in questions],
        comment_max=COMMENT_MAX,
        **_common(),
    )


# -- Summaries, in aggregate only ---------------------------------------------------------


@bp.get("/evaluations")
@role_required("author")
def evaluations_overview() -> Page:
    """Courses with evaluations, and the trainers whose figures the user may read."""
    user = this_user()
    return render(
        "evaluations.html",
        courses=evaluation_summary.courses_evaluated(),
        trainers=evaluation_summary.trainers_evaluated(user),
        **_common(),
    )


@bp.get("/evaluations/courses/<int:course_id>")
@role_required("author")
def course_evaluations(course_id: int) -> Page:
    """A course's figures, its versions' (the trend) or the sessions the user may read."""
    user = this_user()
    evaluation_summary.check_course_reader(user)
    found = evaluation_summary.summary(course_id)
    sessions = evaluation_summary.session_rows(course_id, user) if found.kind == "classroom" else []
    return render("evaluation_course.html", summary=found, sessions=sessions, **_common())


@bp.get("/evaluations/sessions/<int:session_id>")
@role_required("author")
def session_evaluations(session_id: int) -> Page:
    """One session's figures: for its trainer, admins and the trainer's managers."""
    session = classroom.get_session(session_id)
    evaluation_summary.check_trainer_reader(this_user(), session.trainer)
    course = packages.get_course(session.course_id)
    return render(
        "evaluation_session.html",
        session=session,
        course=course,
        figures=evaluation_summary.session_figures(session),
        **_common(),
    )


@bp.get("/evaluations/trainers/<int:user_id>")
@role_required("author")
def trainer_evaluations(user_id: int) -> Page:
    """A trainer's figures over their sessions, and each session's."""
    user = this_user()
    if user.role not in ("admin", "manager") and user.id != user_id:
        # Before looking the id up: a trainer learns nothing about other people's ids.
        raise Forbidden("A trainer's evaluations are shown to them and to their managers")
    trainer = service.get_user(user_id)
    evaluation_summary.check_trainer_reader(user, trainer)
    found, rows = evaluation_summary.trainer_figures(trainer)
    titles = evaluation_summary.course_titles(r.session.course_id for r in rows if r.session)
    return render(
        "evaluation_trainer.html",
        trainer=trainer,
        figures=found,
        sessions=rows,
        course_titles=titles,
        **_common(),
    )


# -- The questions (admins) -----------------------------------------------------------------


@bp.route("/admin/evaluation-questions", methods=["GET", "POST"])
@role_required("admin")
def evaluation_questions_page() -> Page:
    """The questions in their order; add one, or start from the suggested ones."""
    if request.method == "POST":
        added: object
        if request.form.get("action") == "suggested":
            added = attempt(
                evaluation_questions.add_suggested, _("The suggested questions were added.")
            )
        else:
            added = submit(
                QuestionSchema(),
                lambda data: evaluation_questions.create_question(
                    data["text_sv"], data["text_en"], data["position"], data["active"]
                ),
                _("Question added."),
            )
        if added is not None:
            return redirect(url_for("portal.evaluation_questions_page"))
    return render(
        "evaluation_questions.html",
        questions=evaluation_questions.all_questions(),
        answered=evaluation_questions.answer_counts(),
        **_common(),
    )


@bp.route("/admin/evaluation-questions/<int:question_id>", methods=["GET", "POST"])
@role_required("admin")
def evaluation_question(question_id: int) -> Page:
    """Reword, move or deactivate a question, or delete one nobody has answered."""
    question = evaluation_questions.get_question(question_id)
    if request.method == "POST":
        done: object
        if request.form.get("action") == "delete":
            done = attempt(
                lambda: evaluation_questions.delete_question(question), _("Question deleted.")
            )
        else:
            done = submit(
                QuestionSchema(),
                lambda data: evaluation_questions.update_question(
                    question,
                    data["text_sv"],
                    data["text_en"],
                    question.position if data["position"] is None else data["position"],
                    data["active"],
                ),
                _("Saved."),
            )
        if done is not None:
            return redirect(url_for("portal.evaluation_questions_page"))
    return render(
        "evaluation_question_edit.html",
        question=question,
        answered=evaluation_questions.answer_counts().get(question.id, 0),
    )
