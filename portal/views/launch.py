"""The launch entries: who may start, resume, review or preview a course.

The player (player.attempts, player.review) plays whatever attempt it is given;
deciding whether this person may take this course is the portal's, on every path: a
learner launches or reviews only a published e-learning course of the catalogue they
see (their unit's or the whole organisation's); an author previews any e-learning
course, on its newest version, in an attempt that is never a learner's (it counts in
no report).
"""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from accounts.auth import has_role, login_required, role_required
from core.db import db
from player import attempts, review
from portal import bp, catalogue
from portal.views.common import this_user


def _player(token: str) -> BaseResponse:
    return redirect(url_for("player.shell", token=token), 303)


@bp.get("/courses/<int:course_id>")
@login_required
def course_page(course_id: int) -> BaseResponse:
    """``/courses/<id>`` is the course's page in the catalogue (a link people guess)."""
    return redirect(url_for("portal.get_course", course_id=course_id), 308)


@bp.get("/courses/<int:course_id>/launch")
@login_required
def launch_course(course_id: int) -> BaseResponse:
    """Create or resume the learner's attempt and open the player page."""
    user = this_user()
    if has_role("author", user) and not catalogue.is_published(course_id):
        # An author's "launch" of a draft is a preview, which counts for nobody.
        return redirect(url_for("portal.preview_course", course_id=course_id), 303)
    course = catalogue.launchable_course(user, course_id)
    _attempt, token = attempts.launch(user, course)
    db.session.commit()
    return _player(token)


@bp.get("/courses/<int:course_id>/review")
@login_required
def review_course(course_id: int) -> BaseResponse:
    """Open the learner's latest completed attempt in review mode (nothing is recorded)."""
    user = this_user()
    course = catalogue.launchable_course(user, course_id)
    _attempt, token = review.launch_review(user, course)
    db.session.commit()
    return _player(token)


@bp.get("/courses/<int:course_id>/preview")
@role_required("author")
def preview_course(course_id: int) -> BaseResponse:
    """Play the newest version as a learner would, in a preview attempt."""
    course = catalogue.previewable_course(course_id)
    _attempt, token = attempts.launch_preview(this_user(), course)
    db.session.commit()
    return _player(token)
