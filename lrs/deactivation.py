"""A deactivated person's learner-bound credentials stop working at once.

Connected to ``accounts.signals.deactivated`` in ``lrs.init_app``. A launch's
credential acts as its learner (``accounts.auth.agent_for``: an account on this
service named by the person's id), so those are the credentials revoked; the
statements they stored stay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import update

from accounts.models import User
from core.db import db
from lrs.models import Credential


def revoke_learner_credentials(user: User, **_extra: Any) -> None:
    """Revoke every live credential bound to ``user`` as its learner (flushes)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    account = Credential.agent["account"]
    db.session.execute(
        update(Credential)
        .where(
            Credential.agent.is_not(None),
            Credential.revoked_at.is_(None),
            account["homePage"].as_string() == str(current_app.config["AGENT_HOMEPAGE"]),
            account["name"].as_string() == str(user.id),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
