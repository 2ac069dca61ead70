"""Small helpers shared by the player's browser tests (no sleeps: wait for conditions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_true(target: Any, expression: str, seconds: float = 15.0) -> Any:
    """Wait until ``expression`` is truthy in a page or frame; return its value.

    Not ``wait_for_function``: Playwright compiles that predicate with ``eval`` inside the
    page, which the player page's Content-Security-Policy (rightly) refuses; ``evaluate``
    goes through the DevTools protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + seconds
    while True:
        value = target.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression!r} stayed false for {seconds} s")
        time.sleep(0.05)


def wait_running(page: Any) -> None:
    """Wait until the SCO in the content frame has initialised the API."""
    wait_true(page, "window.kompetensPlayer && window.kompetensPlayer.running === true")


def wait_done(page: Any) -> None:
    """Wait for the shell's end panel (the session ended and navigation was processed)."""
    page.wait_for_selector("#done", state="visible")


def content_frame(page: Any, url_part: str) -> Any:
    """The frame whose URL contains ``url_part``, once it has loaded."""
    for _ in range(2):
        for frame in page.frames:
            if url_part in frame.url:
                frame.wait_for_load_state("load")
                return frame
        page.wait_for_event("framenavigated", predicate=lambda f: url_part in f.url)
    raise AssertionError(f"no frame with {url_part!r}: {[f.url for f in page.frames]}")


def runtime_frame(page: Any) -> Any:
    """The player's runtime frame (scorm-again's API, the content frame), once loaded."""
    return content_frame(page, "/runtime?")


def attempt_state(client: Any, token: str) -> dict[str, Any]:
    """The attempt summary the runtime API reports."""
    response = client.get(f"/player/api/{token}/attempt")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def statement_verbs(xapi: Any, registration: str) -> list[str]:
    """The last segment of the verb ids of the registration's statements, sorted."""
    response = xapi.get("statements", query={"registration": registration, "limit": 500})
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in response.get_json()["statements"])


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], seconds: float = 10.0) -> Any:
    """Poll ``read()`` until ``done`` holds (for effects outside the page, e.g. a beacon)."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
