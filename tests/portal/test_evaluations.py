"""Course evaluations: who may answer (once, for themselves), the statement in the LRS,
and figures shown only in aggregate once five people answered (issue 15, "Course
evaluations")."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core.db import db
from tests.portal.conftest import CSRF, Portal, post
from tests.portal.evaluation_helpers import Evals, answers, evaluate, text_of

RESPONDED = "http://adlnet.gov/expapi/verbs/responded"


@pytest.fixture
def evals(app: Flask, make_xapi: Any) -> Evals:
    return Evals(app, make_xapi(["all"], trusted=True))


@pytest.fixture
def org(portal: Portal) -> dict[str, int]:
    soc = portal.unit("SOC", "Socialförvaltningen")
    ifo = portal.unit("IFO", "Individ- och familjeomsorg", parent=soc)
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    return {
        "admin": portal.user("ada@example.org", role="admin", name="Ada Admin"),
        "boss": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "other_boss": portal.user("ola@example.org", role="manager", unit_id=utb),
        "tom": portal.user("tom@example.org", role="author", unit_id=ifo, name="Tom Trainer"),
        "tina": portal.user("tina@example.org", role="author", unit_id=utb, name="Tina Trainer"),
        "lea": portal.user("lea@example.org", unit_id=ifo, name="Lea Lindström"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam Svensson"),
        "course": portal.course("Brandskydd grund"),
    }


def _learners(portal: Portal, n: int, start: int = 0) -> list[int]:
    return [portal.user(f"l{i}@example.org", name=f"Learner {i}") for i in range(start, start + n)]


# -- Answering --------------------------------------------------------------------------------


def test_learner_evaluates_a_completed_course_once_and_the_lrs_has_it(
    app: Flask, login: Any, org: dict[str, int], evals: Evals, xapi: Any
) -> None:
    questions = evals.questions()
    registration = evals.completed(org["lea"], org["course"])
    lea = login(org["lea"])
    url = f"/my/evaluations/courses/{org['course']}"
    assert f'href="{url}"' in lea.get("/my").get_data(as_text=True)
    assert f'href="{url}"' in lea.get("/").get_data(as_text=True)  # where the player returns
    form = lea.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Kursen var relevant för mitt arbete" in form
    assert "Stämmer inte alls" in form
    assert "Stämmer helt" in form

    # The learner's identity comes from the session only: a user_id sent is ignored.
    sent = answers(questions, 4, 5, comment="  Bra exempel  ") | {"user_id": str(org["sam"])}
    done = lea.post(url, data=sent)
    assert done.status_code == 302
    assert done.headers["Location"] == "/my"
    assert f'href="{url}"' not in lea.get("/my").get_data(as_text=True)

    from portal.evaluation_models import Evaluation, EvaluationAnswer

    with app.app_context():
        (row,) = db.session.scalars(db.select(Evaluation)).all()
        assert row.user_id == org["lea"]
        assert row.comment == "Bra exempel"
        assert row.subject.startswith("v:")
        values = {a.question_id: a.value for a in db.session.scalars(db.select(EvaluationAnswer))}
        assert values == {questions[0]: 4, questions[1]: 5}
        statement_id = row.statement_id

    stored = xapi.get("statements", query={"statementId": statement_id})
    assert stored.status_code == 200
    statement = stored.get_json()
    home = app.config["AGENT_HOMEPAGE"].rstrip("/")
    assert statement["verb"]["id"] == RESPONDED
    assert statement["actor"]["account"] == {
        "homePage": app.config["AGENT_HOMEPAGE"],
        "name": str(org["lea"]),
    }
    assert statement["object"]["id"] == f"{home}/courses/{org['course']}/evaluation"
    assert (
        statement["object"]["definition"]["type"] == "http://id.tincanapi.com/activitytype/survey"
    )
    assert statement["result"]["response"] == "Bra exempel"
    assert statement["result"]["extensions"][f"{home}/extensions/evaluation-answers"] == {
        f"{home}/evaluation-questions/{questions[0]}": 4,
        f"{home}/evaluation-questions/{questions[1]}": 5,
    }
    context = statement["context"]
    assert context["registration"] == registration
    assert context["contextActivities"]["parent"] == [{"id": f"{home}/courses/{org['course']}"}]
    assert context["extensions"][f"{home}/extensions/course-version"] == 1
    # The projection does not take an evaluation for a result.
    assert "Brandskydd grund" in lea.get("/my").get_data(as_text=True)

    # Once per version: a second answer is refused and nothing more is stored.
    again = lea.post(url, data=answers(questions, 1, 1), headers={"Accept-Language": "en"})
    assert again.status_code == 409
    assert "You have evaluated this already" in again.get_data(as_text=True)
    assert lea.get(url).status_code == 409
    listed = xapi.get("statements", query={"verb": RESPONDED}).get_json()["statements"]
    assert len(listed) == 1


def test_a_new_version_is_evaluated_again(login: Any, org: dict[str, int], evals: Evals) -> None:
    questions = evals.questions()
    evals.completed(org["lea"], org["course"], version=1)
    lea = login(org["lea"])
    url = f"/my/evaluations/courses/{org['course']}"
    assert evaluate(lea, url, questions, 3, 3).status_code == 302
    assert evals.new_version(org["course"]) == 2
    evals.completed(org["lea"], org["course"], version=2)
    assert f'href="{url}"' in lea.get("/my").get_data(as_text=True)
    assert evaluate(lea, url, questions, 4, 4).status_code == 302
    assert evaluate(lea, url, questions, 4, 4).status_code == 409


@pytest.mark.parametrize("verb", [None, "failed"])
def test_without_a_completed_result_there_is_nothing_to_evaluate(
    login: Any, org: dict[str, int], evals: Evals, verb: str | None
) -> None:
    questions = evals.questions()
    if verb:
        evals.completed(org["lea"], org["course"], verb=verb)
    evals.completed(org["sam"], org["course"])  # someone else's result entitles only them
    lea = login(org["lea"])
    url = f"/my/evaluations/courses/{org['course']}"
    assert "/my/evaluations/" not in lea.get("/my").get_data(as_text=True)
    assert lea.get(url).status_code == 403
    refused = evaluate(lea, url, questions, 5, 5)
    assert refused.status_code == 403
    assert lea.get("/my/evaluations/courses/999999").status_code == 403


def test_answers_must_be_on_the_scale_and_the_form_comes_back_as_sent(
    app: Flask, login: Any, org: dict[str, int], evals: Evals
) -> None:
    questions = evals.questions()
    evals.completed(org["lea"], org["course"])
    lea = login(org["lea"])
    url = f"/my/evaluations/courses/{org['course']}"
    bad = {f"q{questions[0]}": "7", "comment": "Mitt svar", "csrf_token": CSRF}
    refused = lea.post(url, data=bad, headers={"Accept-Language": "sv"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Välj ett av alternativen." in page  # the value off the scale
    assert "Välj ett svar." in page  # the question not answered
    assert "Mitt svar" in page
    too_long = evaluate(lea, url, questions, 3, 3, comment="x" * 2001)
    assert too_long.status_code == 400
    no_csrf = lea.post(url, data={f"q{q}": "3" for q in questions})
    assert no_csrf.status_code == 400
    from portal.evaluation_models import Evaluation

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Evaluation)) == 0


def test_no_questions_no_evaluation(login: Any, org: dict[str, int], evals: Evals) -> None:
    evals.completed(org["lea"], org["course"])
    lea = login(org["lea"])
    assert "/my/evaluations/" not in lea.get("/my").get_data(as_text=True)
    assert lea.get(f"/my/evaluations/courses/{org['course']}").status_code == 404


def test_attended_sessions_are_evaluated_with_the_trainer_as_instructor(
    app: Flask, portal: Portal, login: Any, org: dict[str, int], evals: Evals, xapi: Any
) -> None:
    questions = evals.questions()
    course = portal.course("Lyftteknik", kind="classroom")
    session = portal.session(course, org["tom"])
    other = portal.session(course, org["tina"], days=14)
    evals.attended(session, org["tom"], {org["lea"]: True, org["sam"]: False})
    url = f"/my/evaluations/sessions/{session}"
    lea, sam = login(org["lea"]), login(org["sam"])
    assert f'href="{url}"' in lea.get("/my").get_data(as_text=True)
    assert "/my/evaluations/" not in sam.get("/my").get_data(as_text=True)
    assert evaluate(sam, url, questions, 5, 5).status_code == 403  # booked, but absent
    assert lea.get(f"/my/evaluations/sessions/{other}").status_code == 403  # not on it
    assert lea.get(f"/my/evaluations/courses/{course}").status_code == 403  # per session
    assert evaluate(lea, url, questions, 2, 3).status_code == 302
    assert evaluate(lea, url, questions, 2, 3).status_code == 409

    statement = xapi.get("statements", query={"verb": RESPONDED}).get_json()["statements"][0]
    home = app.config["AGENT_HOMEPAGE"].rstrip("/")
    assert statement["object"]["id"] == f"{home}/sessions/{session}/evaluation"
    assert statement["context"]["instructor"]["account"]["name"] == str(org["tom"])
    assert statement["context"]["contextActivities"]["grouping"] == [
        {"id": f"{home}/courses/{course}"}
    ]
    assert "response" not in statement["result"]  # no comment


# -- In aggregate, from the fifth answer -------------------------------------------------------


def test_a_course_summary_is_hidden_until_the_fifth_answer(
    portal: Portal, login: Any, org: dict[str, int], evals: Evals
) -> None:
    questions = evals.questions()
    people = _learners(portal, 5)
    url = f"/my/evaluations/courses/{org['course']}"
    comments = ["Zebra-exemplet var bra", "alltför lång", "Bra lärare", "", "Mer övningar"]
    for i, person in enumerate(people):
        evals.completed(person, org["course"])
        assert (
            evaluate(login(person), url, questions, i + 1, 5, comment=comments[i]).status_code
            == 302
        )
        page = login(org["tom"]).get(
            f"/evaluations/courses/{org['course']}", headers={"Accept-Language": "en"}
        )
        assert page.status_code == 200
        shown = text_of(page.get_data(as_text=True))
        if i < 4:
            assert f"Not enough answers yet ({i + 1} of 5)" in shown
            assert "Answers per question" not in shown
            assert "Bra lärare" not in shown
    # Five: averages, each question's distribution (chart and table), comments A-Z.
    assert "Based on 5 answers." in shown
    assert "The course was relevant to my work" in shown
    assert "3.0" in shown  # (1+2+3+4+5) / 5
    assert "5.0" in shown
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2
    assert shown.index("alltför lång") < shown.index("Bra lärare") < shown.index("Mer övningar")
    assert shown.index("Mer övningar") < shown.index("Zebra-exemplet var bra")
    for name in ("Learner 0", "Learner 4", "l0@example.org"):
        assert name not in shown  # never a name
    # Swedish numbers and words on the same page.
    sv = text_of(
        login(org["tom"])
        .get(f"/evaluations/courses/{org['course']}", headers={"Accept-Language": "sv"})
        .get_data(as_text=True)
    )
    assert "Utifrån 5 svar." in sv
    assert "3,0" in sv


def test_totals_count_only_versions_with_five_answers(
    portal: Portal, login: Any, org: dict[str, int], evals: Evals
) -> None:
    questions = evals.questions()
    url = f"/my/evaluations/courses/{org['course']}"
    for person in _learners(portal, 5):
        evals.completed(person, org["course"], version=1)
        assert evaluate(login(person), url, questions, 4, 4).status_code == 302
    evals.new_version(org["course"])
    for person in _learners(portal, 2, start=10):
        evals.completed(person, org["course"], version=2)
        assert evaluate(login(person), url, questions, 1, 1, comment="Sämre nu").status_code == 302
    shown = text_of(
        login(org["admin"]).get(f"/evaluations/courses/{org['course']}").get_data(as_text=True)
    )
    # The two answers on version 2 stay out of the total: subtracting would reveal them.
    assert "Based on 5 answers." in shown
    assert "2 more answers are not counted yet" in shown
    assert "Sämre nu" not in shown
    assert "Version 1" in shown
    assert "Version 2" in shown
    assert "Not enough answers yet (2 of 5)" in shown
    assert "1.0" not in shown


def test_a_question_added_later_is_shown_from_its_fifth_answer(
    portal: Portal, login: Any, org: dict[str, int], evals: Evals
) -> None:
    questions = evals.questions()
    url = f"/my/evaluations/courses/{org['course']}"
    people = _learners(portal, 10)
    for person in people:
        evals.completed(person, org["course"])
    for person in people[:5]:
        assert evaluate(login(person), url, questions, 4, 4).status_code == 302
    questions += evals.questions(("Lagom lång", "Right length"))
    page = f"/evaluations/courses/{org['course']}"
    for n, person in enumerate(people[5:], start=1):
        assert evaluate(login(person), url, questions, 4, 4, 1).status_code == 302
        shown = text_of(login(org["admin"]).get(page).get_data(as_text=True))
        assert f"Based on {5 + n} answers." in shown
        # One to four answers of the new question would single their people out.
        assert ("Right length" in shown) is (n == 5)
    assert "1.0" in shown


# -- Who may read what -----------------------------------------------------------------------


@pytest.fixture
def taught(portal: Portal, login: Any, org: dict[str, int], evals: Evals) -> dict[str, int]:
    """A classroom course with a session by Tom (5 answers) and one by Tina (5 answers)."""
    questions = evals.questions()
    course = portal.course("Lyftteknik", kind="classroom")
    sessions = {
        "tom": portal.session(course, org["tom"]),
        "tina": portal.session(course, org["tina"]),
    }
    for trainer, session in sessions.items():
        people = _learners(portal, 5, start=0 if trainer == "tom" else 10)
        evals.attended(session, org[trainer], dict.fromkeys(people, True))
        for person in people:
            comment = f"Kommentar om {trainer}"
            response = evaluate(
                login(person),
                f"/my/evaluations/sessions/{session}",
                questions,
                4,
                4,
                comment=comment,
            )
            assert response.status_code == 302
    return {"course": course, "tom_session": sessions["tom"], "tina_session": sessions["tina"]}


@pytest.mark.parametrize(
    ("who", "course", "tom_session", "tom"),
    [
        ("tom", 200, 200, 200),
        ("tina", 200, 403, 403),
        ("boss", 200, 200, 200),  # Tom's unit is below Bea's
        ("other_boss", 200, 403, 403),
        ("admin", 200, 200, 200),
        ("lea", 403, 403, 403),
    ],
)
def test_who_reads_which_figures(
    login: Any,
    org: dict[str, int],
    taught: dict[str, int],
    who: str,
    course: int,
    tom_session: int,
    tom: int,
) -> None:
    client = login(org[who])
    assert client.get(f"/evaluations/courses/{taught['course']}").status_code == course
    assert client.get(f"/evaluations/sessions/{taught['tom_session']}").status_code == tom_session
    assert client.get(f"/evaluations/trainers/{org['tom']}").status_code == tom


def test_hostile_ids_learn_nothing(login: Any, org: dict[str, int], taught: dict[str, int]) -> None:
    tina = login(org["tina"])
    # Another person's trainer page is refused whether or not the id exists.
    assert tina.get(f"/evaluations/trainers/{org['lea']}").status_code == 403
    assert tina.get("/evaluations/trainers/999999").status_code == 403
    admin = login(org["admin"])
    assert admin.get("/evaluations/trainers/999999").status_code == 404
    assert admin.get("/evaluations/sessions/999999").status_code == 404
    assert admin.get("/evaluations/courses/999999").status_code == 404


def test_a_classroom_course_lists_only_the_sessions_the_reader_may_see(
    login: Any, org: dict[str, int], taught: dict[str, int]
) -> None:
    path = f"/evaluations/courses/{taught['course']}"
    tom = login(org["tom"]).get(path).get_data(as_text=True)
    assert f"/evaluations/sessions/{taught['tom_session']}" in tom
    assert f"/evaluations/sessions/{taught['tina_session']}" not in tom
    assert "Based on 10 answers." in text_of(tom)  # the course as a whole
    admin = login(org["admin"]).get(path).get_data(as_text=True)
    assert f"/evaluations/sessions/{taught['tina_session']}" in admin
    # The trainer's own page: their sessions' comments, nobody else's.
    mine = text_of(
        login(org["tom"]).get(f"/evaluations/trainers/{org['tom']}").get_data(as_text=True)
    )
    assert "Kommentar om tom" in mine
    assert "Kommentar om tina" not in mine
    overview = login(org["tom"]).get("/evaluations").get_data(as_text=True)
    assert f"/evaluations/trainers/{org['tom']}" in overview
    assert f"/evaluations/trainers/{org['tina']}" not in overview
    boss = login(org["boss"]).get("/evaluations").get_data(as_text=True)
    assert f"/evaluations/trainers/{org['tom']}" in boss
    assert f"/evaluations/trainers/{org['tina']}" not in boss


def test_a_manager_follows_the_line_to_a_trainer(
    portal: Portal, login: Any, org: dict[str, int], taught: dict[str, int]
) -> None:
    portal.manage(org["tina"], org["boss"])  # Tina's unit is not Bea's; her manager is
    boss = login(org["boss"])
    assert boss.get(f"/evaluations/trainers/{org['tina']}").status_code == 200
    assert boss.get(f"/evaluations/sessions/{taught['tina_session']}").status_code == 200


def test_the_authors_course_page_links_its_evaluations(login: Any, org: dict[str, int]) -> None:
    page = login(org["tom"]).get(f"/author/courses/{org['course']}").get_data(as_text=True)
    assert f'href="/evaluations/courses/{org["course"]}"' in page


# -- The questions ---------------------------------------------------------------------------


def test_admin_keeps_the_questions(
    app: Flask, login: Any, org: dict[str, int], evals: Evals
) -> None:
    admin = login(org["admin"])
    page = "/admin/evaluation-questions"
    assert "There are no questions yet" in admin.get(page).get_data(as_text=True)
    assert post(admin, page, {"action": "suggested"}).status_code == 302
    listed = admin.get(page).get_data(as_text=True)
    assert "The course was relevant to my work" in listed
    assert "Kursen var relevant för mitt arbete" in listed
    assert post(admin, page, {"action": "suggested"}).status_code == 409  # once
    added = post(
        admin,
        page,
        {
            "action": "new",
            "text_sv": "Lagom lång",
            "text_en": "Right length",
            "position": "0",
            "active": "true",
        },
    )
    assert added.status_code == 302
    from portal.evaluation_questions import active_questions

    with app.app_context():
        questions = active_questions()
        assert questions[0].text_en == "Right length"
        first = questions[0].id
        second = questions[1].id

    # Refused: a missing language, shown again with what was typed.
    refused = post(
        admin, page, {"action": "new", "text_sv": "Bara svenska"}, headers={"Accept-Language": "sv"}
    )
    assert refused.status_code == 400
    assert "Bara svenska" in refused.get_data(as_text=True)
    assert "Fyll i fältet." in refused.get_data(as_text=True)

    edit = f"/admin/evaluation-questions/{first}"
    assert (
        post(
            admin,
            edit,
            {"action": "save", "text_sv": "Lagom", "text_en": "Right", "position": "50"},
        ).status_code
        == 302
    )
    with app.app_context():
        assert first not in [q.id for q in active_questions()]  # unticked: not asked
    assert post(admin, edit, {"action": "delete"}).status_code == 302
    assert admin.get(edit).status_code == 404

    # A question with answers is kept: deactivate it instead.
    evals.completed(org["lea"], org["course"])
    with app.app_context():
        asked = [q.id for q in active_questions()]
    assert (
        evaluate(
            login(org["lea"]),
            f"/my/evaluations/courses/{org['course']}",
            asked,
            *([3] * len(asked)),
        ).status_code
        == 302
    )
    kept = post(admin, f"/admin/evaluation-questions/{second}", {"action": "delete"})
    assert kept.status_code == 409
    assert admin.get(f"/admin/evaluation-questions/{second}").status_code == 200


@pytest.mark.parametrize("who", ["lea", "tom", "boss"])
def test_only_admins_keep_the_questions(login: Any, org: dict[str, int], who: str) -> None:
    client = login(org[who])
    assert client.get("/admin/evaluation-questions").status_code == 403
    refused = post(client, "/admin/evaluation-questions", {"action": "suggested"})
    assert refused.status_code == 403


def test_question_forms_need_the_csrf_token(
    app: Flask, login: Any, org: dict[str, int], evals: Evals
) -> None:
    (question,) = evals.questions(("Bra", "Good"))
    admin = login(org["admin"])
    assert (
        admin.post("/admin/evaluation-questions", data={"action": "suggested"}).status_code == 400
    )
    delete = admin.post(f"/admin/evaluation-questions/{question}", data={"action": "delete"})
    assert delete.status_code == 400
    from portal.evaluation_questions import all_questions

    with app.app_context():
        assert [q.id for q in all_questions()] == [question]


EVALUATION_PAGES = (
    "/my/evaluations/courses/1",
    "/my/evaluations/sessions/1",
    "/evaluations",
    "/evaluations/courses/1",
    "/evaluations/sessions/1",
    "/evaluations/trainers/1",
    "/admin/evaluation-questions",
    "/admin/evaluation-questions/1",
)


@pytest.mark.parametrize("path", EVALUATION_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    assert client.post(path, data={"csrf_token": "guess"}).status_code in (400, 405)


def test_a_second_evaluation_at_the_same_moment_is_refused_whole(
    app: Flask, org: dict[str, int], evals: Evals, xapi: Any
) -> None:
    """Two tabs: both passed the check; the second insert meets the unique key (409)."""
    from accounts.service import get_user
    from core.errors import Conflict
    from portal import evaluations
    from portal.evaluation_models import Evaluation, EvaluationAnswer

    questions = evals.questions()
    evals.completed(org["lea"], org["course"])
    values = dict.fromkeys(questions, 3)
    with app.test_request_context():
        lea = get_user(org["lea"])
        first = evaluations.course_target(lea, org["course"])
        second = evaluations.course_target(lea, org["course"])
        evaluations.submit(lea, first, values, "Först")
        db.session.commit()
        with pytest.raises(Conflict):
            evaluations.submit(lea, second, values, "Sedan")
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(Evaluation)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(EvaluationAnswer)) == 2
    listed = xapi.get("statements", query={"verb": RESPONDED}).get_json()["statements"]
    assert [s["result"]["response"] for s in listed] == ["Först"]
