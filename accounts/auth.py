"""Sign-in: the session's user, ``login_required``, roles, and a person's xAPI agent.

Portal pages use the (HttpOnly, SameSite) session cookie; the LRS and the player's
runtime never do (DESIGN.md, security model). The cookie holds a session id that counts
only while its server-side record lives (accounts/login_sessions.py), and the CSRF token
(portal/csrf.py).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, redirect, request, session, url_for

from accounts import audit, login_sessions
from accounts.models import User
from core.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])

ROLE_RANK = {"learner": 0, "author": 1, "manager": 2, "admin": 3}


def current_user() -> User | None:
    """The signed-in user of this request, or None."""
    if "current_user" not in g:
        session_id = session.get("sid")
        g.current_user = login_sessions.user_of(session_id) if isinstance(session_id, str) else None
    return cast(User | None, g.current_user)


def sign_in(user: User, method: str = "password") -> None:
    """Start a fresh session for ``user`` (a new session id prevents fixation).

    ``method`` ("password" or "sso") goes into the audit log. The caller commits (the
    session's record is a row).
    """
    _end_session()
    session.clear()
    session["sid"] = login_sessions.start(user.id)
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    g.current_user = user
    audit.record(f"signin.{method}", "user", user.id, user.email, actor=user)


def sign_out() -> None:
    """End the session: its record goes, so no copy of the cookie works any more."""
    _end_session()
    session.clear()
    g.current_user = None


def _end_session() -> None:
    session_id = session.get("sid")
    if isinstance(session_id, str):
        login_sessions.end(session_id)


def login_required(view: F) -> F:
    """Redirect to the sign-in page unless someone is signed in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(role: str) -> Callable[[F], F]:
    """Allow users whose role is ``role`` or higher (learner < author < manager < admin)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
            if ROLE_RANK.get(user.role, -1) < ROLE_RANK[role]:
                raise Forbidden(f"This page needs the {role} role")
            return view(*args, **kwargs)

        return cast(F, login_required(cast(F, wrapped)))

    return decorator


def has_role(role: str, user: User | None = None) -> bool:
    """True when ``user`` (default: the signed-in one) has ``role`` or a higher one."""
    user = user if user is not None else current_user()
    return user is not None and ROLE_RANK.get(user.role, -1) >= ROLE_RANK[role]


def agent_for(user: User) -> dict[str, Any]:
    """The learner's xAPI Agent: an account on this service, stable across e-mail changes."""
    return {
        "objectType": "Agent",
        "name": user.name,
        "account": {"homePage": current_app.config["AGENT_HOMEPAGE"], "name": str(user.id)},
    }
