"""Learning paths: authors make and order them; learners see them and their progress."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import gettext as _

from accounts import units
from accounts.auth import login_required, role_required
from portal import bp, catalogue, learning_paths, schemas
from portal.views.common import Page, attempt, render, submit, this_user


@bp.route("/author/paths", methods=["GET", "POST"])
@role_required("author")
def author_paths() -> Page:
    """Every learning path, and a new one."""
    if request.method == "POST":
        made = submit(
            schemas.PathSchema(),
            lambda data: learning_paths.create(data["title"], data["description"], data["unit"]),
            _("Learning path created."),
        )
        if made is not None:
            return redirect(url_for("portal.author_path", path_id=made.id))
    return render("author_paths.html", paths=learning_paths.all_paths(), units=units.choices())


@bp.route("/author/paths/<int:path_id>", methods=["GET", "POST"])
@role_required("author")
def author_path(path_id: int) -> Page:
    """A path's details, its courses in order (add, move, remove), publishing."""
    path = learning_paths.get(path_id)
    if request.method == "POST":
        action = request.form.get("action")
        course_id = request.form.get("course_id", type=int) or 0
        if action == "details":
            submit(
                schemas.PathSchema(),
                lambda data: learning_paths.update(
                    path, data["title"], data["description"], data["unit"]
                ),
                _("Saved."),
            )
        elif action == "add":
            submit(
                schemas.PathCourseSchema(),
                lambda data: learning_paths.add_course(path, data["course_id"]),
                _("Course added."),
            )
        elif action in ("up", "down"):
            by = -1 if action == "up" else 1
            attempt(lambda: learning_paths.move(path, course_id, by))
        elif action == "remove":
            attempt(lambda: learning_paths.remove_course(path, course_id), _("Course removed."))
        elif action in ("publish", "unpublish"):
            attempt(
                lambda: learning_paths.set_published(path, action == "publish"),
                _("Published.") if action == "publish" else _("Unpublished."),
            )
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.author_path", path_id=path.id))
    courses = learning_paths.courses_of(path)
    taken = {c.id for c in courses}
    return render(
        "author_path.html",
        path=path,
        courses=courses,
        choices=[c for c, _kind, _n in catalogue.authored_courses() if c.id not in taken],
        units=units.choices(keep=path.owner_unit_id),
    )


@bp.get("/paths")
@login_required
def paths() -> Page:
    """The learning paths the user may take, with how far they have come."""
    return render("paths.html", paths=learning_paths.catalogue_paths(this_user()))


@bp.get("/paths/<int:path_id>")
@login_required
def path_page(path_id: int) -> Page:
    """A path's courses in order, each with the learner's status, and what to take next."""
    user = this_user()
    found = learning_paths.progress(user, learning_paths.visible_path(user, path_id))
    return render("path.html", progress=found)
