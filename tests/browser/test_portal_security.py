"""The portal in Chromium with its Content-Security-Policy on.

Journeys of each role report no CSP violation (the page's ``securitypolicyviolation``
events and Chromium's console errors are both watched); error pages, refused forms and
the trainer's correction page pass axe-core in Swedish and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.conftest import match, signed_in
from tests.portal.conftest import post

# Report violations to the console too: the listener outlives each page (init scripts run
# through the DevTools protocol, outside the page's policy).
_REPORT = """document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
});"""


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def sign_in(live_server: Any) -> Any:
    return make_sign_in(live_server)


@pytest.fixture
def axe() -> Any:
    return make_axe()


@pytest.fixture
def violations(page: Any) -> Iterator[list[str]]:
    """CSP violations on portal pages (the player's and content's pages are not ours)."""
    found: list[str] = []
    page.add_init_script(_REPORT)

    def listen(message: Any) -> None:
        url = (message.location or {}).get("url", "") or page.url
        ours = "/player/" not in url and "/content/" not in url
        text = message.text
        if (
            message.type == "error"
            and ours
            and ("Content Security Policy" in text or text.startswith("CSP violation"))
        ):
            found.append(f"{url}: {text}")

    page.on("console", listen)
    yield found
    assert found == []


def speak(page: Any, live_server: Any, locale: str) -> None:
    """Switch the signed-in user's language with the footer's form."""
    page.goto(f"{live_server.url}/settings")
    page.locator("#footer-locale").select_option(locale)
    page.locator("footer button").click()
    page.wait_for_selector(f"html[lang='{locale}']")


def test_portal_csp_admin_pages_without_violations(
    page: Any, live_server: Any, portal: Any, sign_in: Any, violations: list[str], make_xapi: Any
) -> None:
    xapi = make_xapi(["all"], trusted=True)  # its results count in reports
    unit = portal.unit("social", "Social services")
    course = portal.course("Fire safety")
    room = portal.course("Lifting", kind="classroom")
    admin = portal.user("boss@example.org", role="admin", unit_id=unit, name="Boss")
    session = portal.session(room, admin)
    learner = portal.user("lea@example.org", unit_id=unit, name="Lea Learner")
    home = live_server.app.config["AGENT_HOMEPAGE"]
    xapi.post(
        "statements",
        {
            "actor": {"account": {"homePage": home, "name": str(learner)}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": f"{home}/courses/{course}"},
        },
    )
    sign_in(page, "boss@example.org")
    # The stylesheet applies (a policy that refused it would leave the header unstyled).
    header = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
    assert header == "rgb(29, 53, 87)"
    for path in (
        "/",
        "/catalogue",
        f"/catalogue/{course}",
        f"/catalogue/{room}",
        "/my",
        "/settings",
        "/author",
        f"/author/courses/{course}",
        f"/author/courses/{room}",
        "/trainer",
        f"/trainer/sessions/{session}",
        "/manage/assignments",
        "/reports",
        f"/reports/courses/{course}",
        f"/reports/learners/{learner}",
        "/admin/units",
        "/admin/users",
        f"/admin/users/{learner}",
        "/admin/credentials",
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The reports' charts are drawn (inline SVG, no script or style needed).
    page.goto(f"{live_server.url}/reports")
    chart = page.locator("svg.chart").first
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 1


def test_portal_csp_author_uploads_with_the_policy_on(
    page: Any, live_server: Any, portal: Any, sign_in: Any, violations: list[str], tmp_path: Any
) -> None:
    from tests.portal.conftest import package_zip

    portal.user("ann@example.org", role="author", name="Ann Author")
    sign_in(page, "ann@example.org")
    page.get_by_role("link", name="Authoring").click()
    good = tmp_path / "good.zip"
    good.write_bytes(package_zip("Safe lifting"))
    page.get_by_label("Package (zip").set_input_files(str(good))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("h1:has-text('Safe lifting')")
    # Course review (on by default): the author's next step is to submit the draft.
    page.get_by_label("Note to the reviewer (optional)").fill("Ready")
    page.get_by_role("button", name="Submit version 1 for review").click()
    page.wait_for_selector("text=Submitted for review. The reviewers have been told.")


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_portal_csp_error_pages_pass_axe(
    page: Any,
    live_server: Any,
    portal: Any,
    sign_in: Any,
    axe: Any,
    violations: list[str],
    locale: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    titles = {
        404: {"sv": "Sidan finns inte", "en": "Page not found"},
        403: {"sv": "Inte tillåtet", "en": "Not allowed"},
        405: {"sv": "Inte möjligt", "en": "Not possible"},
        413: {"sv": "För stort", "en": "Too large"},
    }
    # Anonymous: the sign-in page's language, from the browser.
    page.context.set_extra_http_headers({"Accept-Language": locale})
    response = page.goto(f"{live_server.url}/no/such/page")
    assert response.status == 404
    assert page.locator("h1").inner_text() == titles[404][locale]
    assert page.locator("html").get_attribute("lang") == locale
    axe(page)
    # Signed in (an author, to whom the admin pages are refused), in the chosen language.
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    portal.user("lea@example.org", role="author", name="Lea Author")
    sign_in(page, "lea@example.org")
    speak(page, live_server, locale)
    for path, status in (("/no/such/page", 404), ("/admin/users", 403), ("/logout", 405)):
        response = page.goto(live_server.url + path)
        assert response.status == status, path
        assert page.locator("h1").inner_text() == titles[status][locale]
        assert page.locator("nav").count() == 1  # the user's menu is there
        axe(page)
    # An upload larger than the service takes: the portal's page, in the user's language.
    monkeypatch.setitem(live_server.app.config, "MAX_CONTENT_LENGTH", 4096)
    page.goto(f"{live_server.url}/author")
    big = tmp_path / "big.zip"
    big.write_bytes(b"x" * 20_000)
    page.locator("#file").set_input_files(str(big))
    with page.expect_navigation():
        page.locator("form[enctype] button[type=submit]").click()
    assert page.locator("h1").inner_text() == titles[413][locale]
    assert "4 KB" in page.locator("main").inner_text().replace("\u00a0", " ")
    axe(page)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_portal_csp_refused_forms_pass_axe_and_keep_input(
    page: Any,
    live_server: Any,
    portal: Any,
    sign_in: Any,
    axe: Any,
    violations: list[str],
    locale: str,
) -> None:
    unit = portal.unit("social", "Social services")
    portal.course("Fire safety")
    portal.user("boss@example.org", role="admin", unit_id=unit, name="Boss")
    sign_in(page, "boss@example.org")
    speak(page, live_server, locale)
    # A new account with a bad e-mail address (the browser's own check switched off, as
    # an older browser or a script would send it).
    page.goto(f"{live_server.url}/admin/users")
    page.evaluate("document.querySelectorAll('form').forEach((f) => { f.noValidate = true; })")
    page.locator("#email").fill("nina-at-example.org")
    page.locator("#name").fill("Nina Nilsson")
    page.locator("#password").fill("long enough pw")
    page.locator("#role").select_option("manager")
    page.locator("#email").press("Enter")
    page.wait_for_selector("#form-problems")
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.input_value() == "nina-at-example.org"
    assert page.locator("#name").input_value() == "Nina Nilsson"
    assert page.locator("#role").input_value() == "manager"
    assert page.locator("#email-error").is_visible()
    axe(page)
    # An assignment to nobody: the message at the person field, the note kept.
    page.goto(f"{live_server.url}/manage/assignments")
    page.locator("#note").fill("Before the audit")
    page.locator("#note").press("Enter")
    page.wait_for_selector("#user_id-error")
    assert page.locator("#user_id").get_attribute("aria-invalid") == "true"
    assert page.locator("#note").input_value() == "Before the audit"
    axe(page)
    # Filters with a bad value in the address: the page with the filter marked.
    for url, field in (("/catalogue?kind=webinar", "#kind"), ("/reports?start=2025-13", "#start")):
        response = page.goto(live_server.url + url)
        assert response.status == 400
        assert page.locator(field).get_attribute("aria-invalid") == "true"
        axe(page)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_portal_csp_trainer_correction_confirms_first(
    page: Any,
    live_server: Any,
    portal: Any,
    sign_in: Any,
    axe: Any,
    violations: list[str],
    xapi: Any,
    locale: str,
) -> None:
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    room = portal.course("Fire drill", kind="classroom")
    session = portal.session(room, trainer, seats=5)
    learner = portal.user("lea@example.org", name="Lea Learner")
    post(signed_in(live_server.app.test_client(), learner), f"/sessions/{session}/enrol")
    sign_in(page, "tom@example.org")
    speak(page, live_server, locale)
    page.goto(f"{live_server.url}/trainer/sessions/{session}")
    enrolment = match(r"e(\d+)-outcome", page.content()).group(1)
    page.locator(f"#e{enrolment}-outcome").select_option("passed")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(f"a[href$='/correct/{enrolment}']")

    def live() -> list[str]:
        statements = xapi.get("statements").get_json()["statements"]
        return sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in statements)

    assert live() == ["attended", "completed", "passed"]
    # Step one: the page says what will be voided; Cancel goes back, nothing voided.
    page.locator(f"a[href$='/correct/{enrolment}']").click()
    page.wait_for_selector("input[name=confirm]", state="attached")
    assert "Lea Learner" in page.locator("h1").inner_text()
    assert match(r"\b3 (statements|poster i LRS:en)\b", page.locator("main").inner_text())
    axe(page)
    page.locator(f"main a[href$='/trainer/sessions/{session}']").click()
    page.wait_for_selector(f"a[href$='/correct/{enrolment}']")
    assert live() == ["attended", "completed", "passed"]
    # Step two: confirmed, the results are voided and the row can be recorded again.
    page.locator(f"a[href$='/correct/{enrolment}']").click()
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(f"#e{enrolment}-outcome")
    assert live() == ["voided", "voided", "voided"]
    axe(page)
