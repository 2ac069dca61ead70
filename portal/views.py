"""Portal pages: sign-in and sign-out (the other pages build on these)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core.db import db
from portal import bp, service
from portal.auth import current_user, login_required, sign_in, sign_out


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """Sign in with e-mail and password."""
    error = None
    if request.method == "POST":
        user = service.authenticate_user(
            request.form.get("email", ""),
            request.form.get("password", ""),
            current_app.config["LOCKOUT_ATTEMPTS"],
            current_app.config["LOCKOUT_MINUTES"],
        )
        db.session.commit()
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong e-mail or password, or the account is locked for a while."
    status = 401 if error else 200
    return render_template("login.html", error=error), status  # type: ignore[return-value]


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out."""
    sign_out()
    return redirect(url_for("portal.login"))


@bp.route("/")
@login_required
def home() -> str:
    """The signed-in user's start page."""
    return render_template("home.html", user=current_user())
