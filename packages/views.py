"""The packages JSON API (``/api/packages``) and the content files (``/content``).

API callers authenticate with HTTP Basic as a portal account; authors and admins may
upload and edit.  Content is served by version id or by the version's content hash,
read-only, and only files in the version's file map: a path is a key, never joined to a
directory, so nothing outside the package can be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Response, current_app, redirect, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from accounts.models import User
from accounts.ratelimit import this_client
from accounts.service import authenticate_user
from core import jobs, origins
from core.db import db
from core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from core.schemas import load
from packages import bp, content_bp, imports, review, service, serving
from packages.report import PackageRefused
from packages.schemas import (
    CourseSchema,
    CourseUpdateSchema,
    UploadOptionsSchema,
    VersionDetailSchema,
    VersionSchema,
)

# Uploads, edits and every read of the API (manifests and drafts are authors' business).
AUTHOR_ROLES = ("author", "admin")
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
_CHUNK = 1024 * 1024
_AUTH_HEADERS = {"WWW-Authenticate": 'Basic realm="Kompetens", charset="UTF-8"'}


def _user(*roles: str) -> User:
    """Return the portal account named by HTTP Basic credentials, with one of ``roles``.

    The check is the portal's sign-in check (password hash, inactive accounts, lockout
    after LOCKOUT_ATTEMPTS failures, the per-client limit), so the API is no way around
    the lockout.
    """
    if not current_app.config["LOCAL_PASSWORDS"]:
        raise Forbidden("Signing in with a password is turned off here.")
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        raise Unauthorized(
            "HTTP Basic credentials of a portal account are required", headers=_AUTH_HEADERS
        )
    user = authenticate_user(
        auth.username,
        auth.password,
        int(current_app.config["LOCKOUT_ATTEMPTS"]),
        int(current_app.config["LOCKOUT_MINUTES"]),
        client=this_client(),  # the portal's per-client limit on failed sign-ins (429)
    )
    db.session.commit()  # keep the failure count (or its reset) whatever happens next
    if user is None:
        raise Unauthorized("Unknown account, wrong password or locked", headers=_AUTH_HEADERS)
    if roles and user.role not in roles:
        raise Forbidden(f"Only {' or '.join(roles)} accounts may do this")
    return user


def _import(course_id: int | None) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Run an upload (multipart ``file`` or a raw zip body) through the import service."""
    user = _user(*AUTHOR_ROLES)
    if course_id is not None:
        service.get_course(course_id)
    background = imports.in_background(request.content_length)
    upload = request.files.get("file")
    if upload is not None:
        options = _options(request.form.to_dict(), user)
        label = upload.filename or "upload.zip"
        if background:
            return _in_background(upload.stream, course_id, options, label, user)
        return _run_import(upload.stream, course_id, options, label, user)
    mimetype = request.mimetype
    if mimetype not in ZIP_TYPES:
        raise BadRequest(
            "Send the zip as multipart/form-data field 'file' or as an application/zip body",
            errors=[{"path": "body", "message": f"unsupported content type {mimetype!r}"}],
        )
    options = _options(request.args.to_dict(), user)
    if background:
        return _in_background(request.stream, course_id, options, "upload.zip", user)
    temp_dir = service.get_storage().temp_dir
    fd, tmp = tempfile.mkstemp(suffix=".zip", dir=temp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(request.stream, out, _CHUNK)
        with open(tmp, "rb") as stream:
            return _run_import(stream, course_id, options, "upload.zip", user)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _options(raw: dict[str, Any], user: User) -> dict[str, Any]:
    """The upload's options; ``live``: whether the version is offered to learners at once.

    With COURSE_REVIEW an author's upload is a draft that goes to review (asking to
    publish it is refused); an admin's is published unless ``draft`` (audited).
    """
    options: dict[str, Any] = load(UploadOptionsSchema(), raw, "upload options")
    options["owner_unit_id"] = service.owner_unit_id(options["owner_unit"])
    direct = review.may_publish_directly(user)
    if options["publish"] and not direct:
        raise Forbidden(
            "Courses are reviewed before they are published: submit the version for review",
            errors=[{"path": "publish", "message": "review required"}],
        )
    options["live"] = direct and not options["draft"]
    return options


def _run_import(
    stream: Any, course_id: int | None, options: dict[str, Any], label: str, user: User
) -> tuple[dict[str, Any], int, dict[str, str]]:
    try:
        result = service.import_package(
            stream,
            course_id,
            title=options["title"],
            category=options["category"],
            owner_unit_id=options["owner_unit_id"],
            published=options["live"],
            label=label,
            uploaded_by=user,
        )
        if options["publish"]:
            service.set_published(result.course, True)
        db.session.commit()
    except PackageRefused as exc:
        db.session.rollback()
        raise BadRequest(
            f"The package was refused: {exc.errors[0].message}",
            errors=[e.as_dict() for e in exc.errors],
        ) from None
    except Exception:
        db.session.rollback()
        raise
    body = {**result.as_dict(), "version_id": result.version.id}
    location = f"{bp.url_prefix}/versions/{result.version.id}"
    return body, 201, {"Location": location}


def _in_background(
    stream: Any, course_id: int | None, options: dict[str, Any], label: str, user: User
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Keep a large upload in storage and let a job import it: 202 and where to ask."""
    name = service.get_storage().keep_upload(stream)
    chosen = {
        "course_id": course_id,
        "title": options["title"],
        "category": options["category"],
        "owner_unit_id": options["owner_unit_id"],
        "live": options["live"],
        "publish": options["publish"],
    }
    try:
        task = jobs.enqueue(imports.API_JOB, name, user.id, label, json.dumps(chosen))
    except Exception:
        service.get_storage().drop_upload(name)
        raise
    location = f"{bp.url_prefix}/imports/{task.id}"
    return {"status": "queued", "import": task.id}, 202, {"Location": location}


@bp.get("/imports/<task_id>")
def get_import(task_id: str) -> dict[str, Any]:
    """A background import: queued, running (with progress) or done (with its result).

    Done with ``errors``: the package was refused and nothing was stored; ``failed``:
    the job stopped with an error (Admin → Jobs), nothing was stored either.
    """
    user = _user(*AUTHOR_ROLES)
    run = imports.status(task_id, user, imports.API_JOB)
    body: dict[str, Any] = {
        "import": task_id,
        "status": run.status,
        "progress": {"done": run.done or 0, "total": run.total or 100},
    }
    if run.status == "done" and run.result is not None:
        body["result"] = run.result
        if "version_id" in run.result:
            body["location"] = f"{bp.url_prefix}/versions/{run.result['version_id']}"
    return body


@bp.post("/courses")
def post_course() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Upload a package as a new course."""
    return _import(None)


@bp.post("/courses/<int:course_id>/versions")
def post_version(course_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Upload a package as the next version of a course."""
    return _import(course_id)


@bp.get("/courses")
def get_courses() -> dict[str, Any]:
    """List courses (optionally ``?unit=`` for one unit's and the shared ones)."""
    _user(*AUTHOR_ROLES)
    unit = request.args.get("unit")
    courses = service.list_courses(service.owner_unit_id(unit, "unit") if unit else None)
    return {"courses": CourseSchema(many=True).dump(courses)}


@bp.get("/courses/<int:course_id>")
def get_course(course_id: int) -> dict[str, Any]:
    """Show a course with its versions and the version new attempts get."""
    _user(*AUTHOR_ROLES)
    course = service.get_course(course_id)
    latest = service.latest_published_version(course)
    body: dict[str, Any] = CourseSchema().dump(course)
    body["latest_published_version"] = latest.number if latest else None
    body["versions"] = VersionSchema(many=True).dump(service.list_versions(course))
    return body


@bp.patch("/courses/<int:course_id>")
def patch_course(course_id: int) -> dict[str, Any]:
    """Edit a course's metadata or publish it."""
    _user(*AUTHOR_ROLES)
    changes = load(CourseUpdateSchema(), request.get_json(silent=True), "course")
    if "owner_unit" in changes:
        changes["owner_unit_id"] = service.owner_unit_id(changes.pop("owner_unit"))
    course = service.update_course(service.get_course(course_id), **changes)
    db.session.commit()
    return CourseSchema().dump(course)  # type: ignore[no-any-return]


@bp.get("/courses/<int:course_id>/versions")
def get_versions(course_id: int) -> dict[str, Any]:
    """List a course's versions, oldest first."""
    _user(*AUTHOR_ROLES)
    course = service.get_course(course_id)
    return {"versions": VersionSchema(many=True).dump(service.list_versions(course))}


@bp.get("/versions/<int:version_id>")
def get_version(version_id: int) -> dict[str, Any]:
    """One version with its parsed manifest and launch URLs on the content origin."""
    _user(*AUTHOR_ROLES)
    version = service.get_version(version_id)
    body: dict[str, Any] = VersionDetailSchema().dump(version)
    body["launch"] = [
        {**entry, "url": service.content_url(version, entry["href"])} for entry in version.launch
    ]
    return body


# -- content files ----------------------------------------------------------------------


@content_bp.get("/<string:key>/<path:path>")
def get_content(key: str, path: str) -> Response:
    """Serve a file of a version (``key`` = its content hash), with Range support.

    Only on the content origin (core/origins.py); asked for on the portal's, the request
    is sent there. ``key`` is the version's content hash, never its id: content URLs
    cannot be counted through, so an unpublished course is reachable only by someone
    who was given its URL (its author, a learner it was launched for).
    """
    if origins.isolated() and not origins.on_content_host():
        target = origins.content_origin() + request.full_path.rstrip("?")
        return redirect(target, 308)  # type: ignore[return-value]
    found = service.find_content_file(key, path)
    if found is None:
        raise NotFound(f"No file {path!r} in package {key!r}")
    mimetype = serving.content_type(path)
    response = _send_stored(found.sha256, found.size, mimetype)
    response.headers["Content-Type"] = mimetype
    response.headers["Cache-Control"] = serving.IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Accept-Ranges"] = "bytes"
    # The policy depends on how the file was asked for (Fetch Metadata): a browser cache
    # must not answer a page load with a frame load's copy.
    response.vary.update(("Sec-Fetch-Dest", "Sec-Fetch-Site"))
    own = origins.own_origin()
    portal = origins.portal_origin()
    ancestors = "'self'" if portal in ("", own) else f"'self' {portal}"
    response.headers["Content-Security-Policy"] = serving.content_policy(
        request.headers.get("Sec-Fetch-Dest"),
        request.headers.get("Sec-Fetch-Site"),
        origins.isolated(),
        ancestors,
    )
    return response


def _send_stored(digest: str, size: int, mimetype: str) -> Response:
    """A stored file as a response that answers Range and If-None-Match requests.

    From local storage by its path (the OS's sendfile); from a bucket as a stream that
    GETs only from where the range starts (packages/s3_storage.py ObjectReader).
    werkzeug turns a Range request into 206 with Content-Range, a bad range into 416.
    """
    storage = service.get_storage()
    local = storage.local_path(digest)
    if local is not None:
        return send_file(
            str(local), mimetype=mimetype, conditional=True, etag=digest, max_age=31536000
        )
    stream = storage.open(digest)
    response = send_file(
        stream, mimetype=mimetype, conditional=False, etag=digest, max_age=31536000
    )
    response.content_length = size
    try:
        response.make_conditional(request, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        stream.close()
        raise
    return response
