"""Admin → Forwarding: other LRSs that get a copy of the statements (lrs/forwarding.py).

The secret is typed, stored sealed, and never drawn into a page again (not even into
the form when it is refused); pages that take it are not cached.
"""

from __future__ import annotations

from typing import Any

from flask import g, make_response, redirect, request, url_for
from flask_babel import gettext as _

from accounts import service
from accounts.auth import role_required
from core.errors import BadRequest
from lrs import forward_delivery, forward_targets
from lrs.clock import naive_utc, utc_now
from lrs.forward_models import ForwardTarget
from portal import bp, forwarding
from portal.forwarding_schemas import NewTargetSchema, ReplaySchema, TargetSchema
from portal.i18n import N_
from portal.views.common import Page, attempt, form_data, render, submit


def _no_store(page: tuple[str, int]) -> Page:
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/forwarding", methods=["GET", "POST"])
@role_required("admin")
def admin_forwarding() -> Page:
    """Targets with their lag and failures; a new target."""
    if request.method == "POST":
        created = submit(NewTargetSchema(), forwarding.create, _("Forwarding added."))
        if created is not None:
            return redirect(url_for("portal.admin_forwarding_target", target_id=created.id))
    return _no_store(
        render(
            "admin_forwarding.html",
            targets=forward_targets.list_targets(),
            lags=forward_targets.lags(),
            now=naive_utc(utc_now()),
            **_choices(),
        )
    )


@bp.route("/admin/forwarding/<int:target_id>", methods=["GET", "POST"])
@role_required("admin")
def admin_forwarding_target(target_id: int) -> Page:
    """One target: change it, pause or resume, replay from a point, remove."""
    target = forward_targets.get_target(target_id)
    if request.method == "POST":
        action = request.form.get("action", "save")
        if _act(target, action):
            if action == "remove":
                return redirect(url_for("portal.admin_forwarding"))
            return redirect(url_for("portal.admin_forwarding_target", target_id=target.id))
    lag = forward_targets.lags().get(target.id, forward_targets.Lag())
    return _no_store(
        render(
            "admin_forwarding_target.html",
            target=target,
            lag=lag,
            head=forward_targets.head(target) if target.failures else None,
            now=naive_utc(utc_now()),
            **_choices(),
        )
    )


def _act(target: ForwardTarget, action: str) -> bool:
    """Do what the form asks; True when it was done (else the page shows why not)."""
    if action in ("pause", "resume"):
        paused = action == "pause"
        done = _("Delivery is paused.") if paused else _("Delivery is resumed.")
        attempt(lambda: forwarding.pause(target, paused), done)
    elif action == "remove":
        attempt(lambda: forwarding.remove(target), _("Forwarding removed."))
    elif action == "replay":
        _replay(target)
    elif action == "skip":
        _skip(target)
    else:
        submit(TargetSchema(), lambda data: forwarding.update(target, data), _("Saved."))
    return int(g.get("form_status", 200)) == 200


def _replay(target: ForwardTarget) -> None:
    data = form_data(ReplaySchema())
    if data is None:
        return
    statement_id = str(data["statement_id"]) if data["statement_id"] else None
    attempt(
        lambda: forwarding.replay(target, data["since"], statement_id),
        _("The statements are being queued again; this page shows how far it has come."),
    )


def _skip(target: ForwardTarget) -> None:
    outbox_id = request.form.get("outbox_id", "")
    if not outbox_id.isdigit() or len(outbox_id) > 19:
        raise BadRequest(
            "outbox_id must be a number", errors=[{"path": "outbox_id", "message": "not a number"}]
        )
    attempt(
        lambda: forwarding.skip(target, int(outbox_id)),
        _("The statement is skipped; the next one is sent."),
    )


def _choices() -> dict[str, Any]:
    return {
        "units": service.list_units(),
        "versions": forward_targets.VERSIONS,
        "shown_error": shown_error,
    }


_ERRORS = {
    forward_delivery.SECRET_UNREADABLE: N_(
        "The secret can no longer be read (the server's SECRET_KEY has changed): enter it again."
    ),
    forward_delivery.TIMEOUT: N_("The other LRS did not answer in time."),
    forward_delivery.UNREACHABLE: N_("The other LRS could not be reached."),
    forward_delivery.SLOW: N_("The other LRS answered slowly; the rest is sent later."),
}


def shown_error(text: str | None) -> str:
    """A delivery error (kept in English) in the reader's language; "—" for none."""
    if not text:
        return "—"
    if text in _ERRORS:
        return _(_ERRORS[text])
    if text.startswith(forward_delivery.HTTP_ERROR):
        status, _sep, body = text.removeprefix(forward_delivery.HTTP_ERROR).partition(":")
        said = _("The other LRS answered HTTP %(status)s.", status=status.strip())
        return f"{said} {body.strip()}".strip()
    if text.startswith(forward_delivery.REQUEST_FAILED):
        return _("The request to the other LRS failed.")
    return text
