"""Admin pages: organisation units, users, LRS credentials, the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit, people_import, service, sign_in_links, units
from accounts.auth import role_required
from accounts.models import ROLES, UNIT_KINDS, OrganisationUnit
from core import files, jobs
from core.db import db
from core.errors import Forbidden, NotFound
from core.jobs import runs
from lrs.auth import SCOPES
from portal import bp, credentials, schemas, tasks
from portal.i18n import ROLE_NAMES
from portal.views.common import Page, attempt, form_data, problems, render, submit, this_user
from portal.views.exports import export_file

# -- Administration -------------------------------------------------------------------------------


USERS_SHOWN = 200  # a search narrows longer lists


@bp.route("/admin/units", methods=["GET", "POST"])
@role_required("admin")
def admin_units() -> Page:
    """Organisation units as a tree: create, rename, move, (de)activate."""
    if request.method == "POST":
        if request.form.get("unit_id"):
            unit = service.get_unit(request.form.get("unit_id", -1, type=int))
            submit(
                schemas.UnitUpdateSchema(),
                lambda data: _save_unit(unit, data),
                _("Saved."),
            )
        else:
            submit(
                schemas.UnitSchema(),
                lambda data: service.create_unit(
                    data["code"], data["name"], data["kind"], data["parent_id"]
                ),
                _("Unit created."),
            )
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.admin_units"))
    return render("admin_units.html", branches=units.tree(), kinds=UNIT_KINDS)


def _save_unit(unit: OrganisationUnit, data: dict[str, Any]) -> OrganisationUnit:
    """Rename, re-code, re-kind, (de)activate and move a unit (with everything below it)."""
    service.update_unit(unit, data["name"], data["kind"], data["active"], data["code"])
    return units.move(unit, data["parent_id"])


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def admin_users() -> Page:
    """Users: list and search, create."""
    if request.method == "POST":
        # Without local passwords nobody types one: the account gets a random one that no
        # form accepts, and the person signs in through the organisation's sign-in.
        local = current_app.config["LOCAL_PASSWORDS"]
        user = submit(
            schemas.UserCreateSchema() if local else schemas.UserCreateSchema(exclude=["password"]),
            lambda data: service.create_user(
                data["email"],
                data["name"],
                data["password"] if local else secrets.token_urlsafe(24),
                data["role"],
                data["unit_id"],
            ),
            _("Account created."),
        )
        if user is not None:
            return redirect(url_for("portal.admin_users"))
    q = request.args.get("q", "")
    return render(
        "admin_users.html",
        users=service.list_users(query=q, limit=USERS_SHOWN + 1),
        shown=USERS_SHOWN,
        q=q,
        units=service.list_units(),
        roles=ROLES,
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def admin_user(user_id: int) -> Page:
    """One user: role, unit, active, a password reset and lifting a lockout."""
    user = service.get_user(user_id)
    if request.method == "POST":
        if request.form.get("action") == "unlock":
            attempt(lambda: service.unlock(user), _("The account is unlocked."))
        elif request.form.get("action") == "unlink":
            kind, link_id = request.form.get("kind", ""), request.form.get("link_id", "")
            number = int(link_id) if link_id.isdigit() else 0
            attempt(
                lambda: sign_in_links.remove_link(user, kind, number),
                _("The sign-in link is removed and the person's sessions are ended."),
            )
        elif request.form.get("action") == "password":
            if not current_app.config["LOCAL_PASSWORDS"]:
                raise Forbidden("Signing in with a password is turned off here.")
            submit(
                schemas.PasswordSchema(),
                lambda data: service.reset_password(user, data["password"]),
                _("Password changed."),
            )
        else:
            submit(
                schemas.UserUpdateSchema(),
                lambda data: service.update_user(user, **data),
                _("Saved."),
            )
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.admin_user", user_id=user.id))
    return render(
        "admin_user.html",
        user=user,
        units=service.list_units(),
        roles=ROLES,
        links=sign_in_links.links_of(user),
    )


@bp.route("/admin/credentials", methods=["GET", "POST"])
@role_required("admin")
def admin_credentials() -> Page:
    """LRS credentials: create with scopes (the secret is shown once), list, revoke."""
    created = None
    if request.method == "POST":
        if request.form.get("revoke"):
            key = request.form["revoke"]
            attempt(lambda: credentials.revoke_lrs_credential(key), _("Revoked."))
            if g.get("form_status", 200) == 200:
                return redirect(url_for("portal.admin_credentials"))
        else:
            created = submit(
                schemas.CredentialSchema(),
                lambda data: credentials.create_lrs_credential(
                    data["name"], data["scopes"], data["trusted"]
                ),
            )
    response = make_response(
        render(
            "admin_credentials.html",
            credentials=credentials.list_lrs_credentials(),
            scopes=SCOPES,
            created=created,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the page may hold a secret
    return response


AUDIT_ROWS = 200  # a page of the audit log; the CSV holds every matching entry


@bp.get("/admin/audit")
@role_required("admin")
def admin_audit() -> Page:
    """The audit log: filter, page through, export as CSV (the export is logged too)."""
    schema = schemas.AuditQuerySchema()
    query = form_data(schema, request.args) or schema.load({})
    wanted = audit.Filter(query["action"], query["who"], query["since"], query["until"])
    if request.args.get("format") == "csv" and not problems().messages:
        params = {
            "action": query["action"],
            "who": query["who"],
            "since": query["since"].isoformat() if query["since"] else None,
            "until": query["until"].isoformat() if query["until"] else None,
        }
        return export_file("audit_log", params)  # a large one in the background
    page = query["page"]
    shown = audit.events(wanted, AUDIT_ROWS + 1, (page - 1) * AUDIT_ROWS)
    return render(
        "admin_audit.html",
        events=shown[:AUDIT_ROWS],
        more=len(shown) > AUDIT_ROWS,
        page=page,
        query=query,
        actions=audit.ACTIONS,
        describe=audit_details,
    )


def _detail_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return " → ".join(_detail_value(key, v) for v in value)
    if key == "role" and value in ROLE_NAMES:
        return _(ROLE_NAMES[value])
    return str(value)


def audit_details(details: dict[str, Any]) -> str:
    """An entry's details for people: named in their language, nothing shown as None."""
    return "; ".join(
        f"{_(audit.DETAILS[k]) if k in audit.DETAILS else k}: {_detail_value(k, v)}"
        for k, v in sorted(details.items())
    )


@bp.route("/admin/people/import", methods=["GET", "POST"])
@role_required("admin")
def admin_people_import() -> Page:
    """People from an HR export: check the file (nothing changes), or import it whole."""
    if request.method == "GET":
        return render("admin_people_import.html", result=None, mode=None)
    upload = request.files.get("file")
    mode = "import" if request.form.get("mode") == "import" else "check"
    if upload is None or not upload.filename:
        g.form_status = 400
        flash(_("Choose a CSV file."), "error")
        return render("admin_people_import.html", result=None, mode=mode)
    data = upload.read(people_import.MAX_BYTES + 1)
    background = current_app.config["PEOPLE_IMPORT_BACKGROUND_BYTES"]
    if mode == "import" and background < len(data) <= people_import.MAX_BYTES:
        return _import_in_background(data, upload.filename)
    result = people_import.plan(data, db.session)
    if mode == "import" and not result.rejected:
        people_import.apply(result, db.session)
        counts = {"created": result.created_count, "updated": result.updated_count}
        audit.record("people.imported", "file", None, upload.filename, details=counts)
        db.session.commit()
        flash(_("The file is imported."), "success")
    else:
        db.session.rollback()
    if result.rejected:
        g.form_status = 400
    return render("admin_people_import.html", result=result, mode=mode, units=_unit_names())


def _import_in_background(data: bytes, filename: str) -> BaseResponse:
    """Keep the file in the instance directory and let a job import it (a large file)."""
    token = secrets.token_hex(16)
    path = tasks.import_file(token)
    files.private_dir(path.parent)
    path.touch(mode=0o600)
    path.write_bytes(data)
    task = jobs.enqueue("import_people", token, this_user().id, filename)
    return redirect(url_for("portal.admin_people_import_job", task_id=task.id))


@bp.get("/admin/people/import/jobs/<task_id>")
@role_required("admin")
def admin_people_import_job(task_id: str) -> Page:
    """A background import: its progress, then its report as the import page shows it."""
    run = runs.find(task_id)
    if run is None or run.name != "import_people":
        raise NotFound("No such import")
    result = people_import.from_report(run.result) if run.result else None
    return render(
        "admin_people_import.html", result=result, mode="import", job=run, units=_unit_names()
    )


def _unit_names() -> dict[int, str]:
    return {u.id: f"{u.name} ({u.code})" for u in service.list_units()}
