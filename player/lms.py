"""The LMS as a client of its own LRS: the statements the player writes, and for whom.

The player writes statements through ``lrs.service`` (the same validation as the HTTP
API) with an all-scope client whose authority is the LMS, about the learner's Agent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, g

from accounts.auth import agent_for
from accounts.models import User
from core.db import db
from core.errors import Conflict, NotFound
from lrs import service as lrs_service
from lrs.auth import Client
from player.models import Attempt

XAPI_VERSION = "1.0.3"

log = logging.getLogger(__name__)


def lms_agent() -> dict[str, Any]:
    """The authority of every statement the LMS writes itself."""
    return {
        "objectType": "Agent",
        "name": "Kompetens player",
        "account": {"homePage": str(current_app.config["AGENT_HOMEPAGE"]), "name": "lms"},
    }


def lms_client() -> Client:
    """An all-scope client for the LMS's own writes through ``lrs.service``."""
    return Client(id=0, scopes=frozenset({"all"}), authority=lms_agent(), trusted=True)


def store_statements(statements: list[dict[str, Any]], *, resent_ok: bool = False) -> None:
    """Validate and store statements the LMS writes (same rules as the HTTP API).

    Within ``one_batch`` they are stored when the block ends.  ``resent_ok``: statements
    whose ids are stored already with other content are logged and left as stored
    (a resent commit's mirror), not a 409.
    """
    if not statements:
        return
    collected = g.get("lms_batch")
    if collected is not None:
        collected.append((statements, resent_ok))
        return
    try:
        lrs_service.store_statements(statements, lms_client(), XAPI_VERSION)
    except Conflict:
        if not resent_ok:
            raise
        log.warning("statements of a resent commit differ; kept the stored ones")


@contextmanager
def one_batch() -> Iterator[None]:
    """The statements the LMS stores within the block are stored together when it ends.

    Storing statements takes the LRS's clock, and its lock is held to the commit; every
    writer waits for it (lrs/clock.py).  A runtime call that stored its statements
    first held it through the sequencer's report and rollup as well; collected and
    stored after them, in the order given, they are one write: one clock, one
    ``stored``, the projection once.  If the block raises, nothing is stored (the
    transaction is rolled back anyway).
    """
    if g.get("lms_batch") is not None:  # within another block: that one stores them
        yield
        return
    collected: list[tuple[list[dict[str, Any]], bool]] = []
    g.lms_batch = collected
    try:
        yield
    finally:
        g.lms_batch = None
    statements = [s for group, _ in collected for s in group]
    if not statements:
        return
    # The call's own rows (the attempt, the SCO state) are written now, before the
    # clock: at the commit's flush they were written while every writer waited for it.
    # They are the attempt's, locked by the call already (player.attempts), and no
    # writer under the clock touches them, so no lock is taken in a new order.
    db.session.flush()
    try:
        lrs_service.store_statements(statements, lms_client(), XAPI_VERSION)
    except Conflict:
        # Nothing was written (the LRS compares before it inserts): each group again,
        # so that a resent commit's differing mirror does not drop the others.
        for group, resent_ok in collected:
            store_statements(group, resent_ok=resent_ok)


def learner(attempt: Attempt) -> User:
    """The attempt's learner."""
    user = db.session.get(User, attempt.user_id)
    if user is None:
        raise NotFound("The attempt's learner no longer exists")
    return user


def learner_agent(attempt: Attempt) -> dict[str, Any]:
    """The learner's xAPI Agent (accounts.auth.agent_for), once per request."""
    cache: dict[int, dict[str, Any]] = g.setdefault("player_agents", {})
    if attempt.user_id not in cache:
        cache[attempt.user_id] = agent_for(learner(attempt))
    return dict(cache[attempt.user_id])
