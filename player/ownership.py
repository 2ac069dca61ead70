"""Which launch owns an attempt: two tabs on one course never both save.

Each launch of a course (the portal's launch, a resume from My learning, a reload of the
player page) has its own launch token, and every token of an attempt may call the
runtime. The token whose player page last *started* the attempt (navigation request
"start") owns it (``Attempt.owner_token_id``); the runtime calls of the attempt's other
tokens that would change it (commits, navigation, the pagehide beacons) are refused with
409 and the reason ``taken-over``, which the older page understands: it tells the
learner, stops saving and offers to continue there (which takes the attempt back).

Nothing either tab saved is lost or overwritten by older data: the newer launch starts
from everything the older one had stored (a running SCO session is ended as a suspend
first, player.runtime.finish), and the older tab's later commits are refused visibly
instead of landing on top of the newer tab's. A cmi5 AU talks to the LRS directly, so
the LRS credentials of the older tab's open AU sessions are revoked at the takeover: its
statements and state writes are refused too (the newer launch decides about the session,
cmi5 §9.3.5 abandoned; player.cmi5). Review tokens never own an attempt and are never
refused: a review changes nothing (player.review).
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from core.db import db
from core.errors import Conflict
from lrs import auth as lrs_auth
from lrs.models import Credential
from player import attempts
from player.models import Attempt, Cmi5Session

TAKEN_OVER = "taken-over"


def _token_id(attempt: Attempt) -> int | None:
    """The launch token this request came with (set by attempts.attempt_for_token)."""
    tokens: dict[int, int] = g.get("player_tokens", {})
    return tokens.get(attempt.id)


def owns(attempt: Attempt) -> bool:
    """True unless another launch of the attempt took it over."""
    if attempts.in_review(attempt) or attempt.owner_token_id is None:
        return True
    return attempt.owner_token_id == _token_id(attempt)


def check(attempt: Attempt) -> None:
    """Refuse a runtime call of a launch that was taken over (409 ``taken-over``)."""
    if not owns(attempt):
        raise Conflict(
            "This course was opened in another window; this window no longer saves",
            errors=[{"path": "token", "reason": TAKEN_OVER, "message": "a newer launch owns it"}],
        )


def claim(attempt: Attempt) -> None:
    """Make the request's launch the attempt's owner (it starts it); the previous one is out."""
    token = _token_id(attempt)
    if attempts.in_review(attempt) or token is None or attempt.owner_token_id == token:
        return
    previous = attempt.owner_token_id
    attempt.owner_token_id = token
    if previous is not None:
        _revoke_open_au_sessions(attempt)
    db.session.flush()


def _revoke_open_au_sessions(attempt: Attempt) -> None:
    """The older tab's cmi5 AUs may no longer write to the LRS (their sessions are open)."""
    credential_ids = db.session.scalars(
        select(Cmi5Session.credential_id).where(
            Cmi5Session.attempt_id == attempt.id,
            Cmi5Session.ended_at.is_(None),
            Cmi5Session.launch_mode == "Normal",
            Cmi5Session.credential_id.is_not(None),
        )
    )
    for credential_id in list(credential_ids):
        credential = db.session.get(Credential, credential_id)
        if credential is not None and credential.revoked_at is None:
            lrs_auth.revoke_credential(credential.key)
