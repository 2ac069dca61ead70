"""Admin → Retention: rules from the organisation's decisions, legal holds, dry runs and runs.

Admin → Access request: a person's data as one archive (portal/gdpr_export.py).
Thin: the forms are portal/retention_rules.py's schemas, the work portal/retention.py's.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from accounts import service
from accounts.auth import role_required
from core import jobs
from core.db import db
from portal import bp, gdpr_export, retention, retention_rules
from portal.retention_models import HOLD_KINDS, KINDS, UNITS
from portal.views.common import Page, attempt, problems, refuse, render, submit, this_user


def _page(report: retention.Report | None = None, rule: Any = None) -> Page:
    return render(
        "admin_retention.html",
        rules=retention_rules.rules(),
        holds=retention_rules.holds(),
        runs=retention.runs(),
        report=report,
        kinds=KINDS,
        units=UNITS,
        hold_kinds=HOLD_KINDS,
        rule=rule,
    )


@bp.route("/admin/retention", methods=["GET", "POST"])
@role_required("admin")
def admin_retention() -> Page:
    """Rules, holds, the latest runs; a dry run shown here, a run started as a job."""
    action = request.form.get("action") if request.method == "POST" else None
    report = None
    if action == "rule":
        saved = submit(
            retention_rules.RuleSchema(),
            lambda data: retention_rules.save_rule(data, this_user()),
            _("Rule saved."),
        )
        if saved is not None:
            return redirect(url_for("portal.admin_retention"))
    elif action == "hold":
        placed = submit(
            retention_rules.HoldSchema(),
            lambda data: retention_rules.place_hold(data, this_user()),
            _("Legal hold placed."),
        )
        if placed is not None:
            return redirect(url_for("portal.admin_retention"))
    elif action == "release":
        hold_id = request.form.get("hold_id", -1, type=int)
        attempt(lambda: retention_rules.release_hold(hold_id, this_user()), _("Hold released."))
        if g.get("form_status", 200) == 200:
            return redirect(url_for("portal.admin_retention"))
    elif action == "dry_run":
        report = retention.dry_run()
        db.session.rollback()  # a dry run stores nothing
    elif action == "run":
        if jobs.try_enqueue("retention_run", this_user().id):
            flash(_("The run has started. Its result is shown here when it is done."), "success")
        else:
            flash(_("The run could not be started. Try again later."), "error")
        return redirect(url_for("portal.admin_retention"))
    return _page(report)


@bp.route("/admin/retention/rules/<int:rule_id>", methods=["GET", "POST"])
@role_required("admin")
def admin_retention_rule(rule_id: int) -> Page:
    """One rule: change it, or deactivate it (rules are never deleted)."""
    rule = retention_rules.get_rule(rule_id)
    if request.method == "POST":
        saved = submit(
            retention_rules.RuleSchema(),
            lambda data: retention_rules.save_rule(data, this_user(), rule),
            _("Rule saved."),
        )
        if saved is not None:
            return redirect(url_for("portal.admin_retention"))
    return render("admin_retention_rule.html", rule=rule, kinds=KINDS, units=UNITS)


@bp.route("/admin/access-request", methods=["GET", "POST"])
@role_required("admin")
def admin_access_request() -> Page | Response:
    """A person's data as one archive, for their access request; every export audited."""
    if request.method == "POST":
        who = request.form.get("person", "").strip()
        user = service.find_user(who) if who else None
        if user is None:
            refuse(None, [{"path": "person", "message": _("No account with that e-mail address.")}])
            problems().labels["person"] = _("Person (e-mail)")
        else:
            body = gdpr_export.archive(user, this_user())
            db.session.commit()
            return Response(
                body,
                mimetype="application/zip",
                headers={
                    "Content-Disposition": f'attachment; filename="{gdpr_export.file_name(user)}"',
                    "Cache-Control": "no-store",
                },
            )
    return render("admin_access_request.html")
