"""The LMS as a client of its own LRS: the statements the player writes, and for whom.

The player writes statements through ``lrs.service`` (the same validation as the HTTP
API) with an all-scope client whose authority is the LMS, about the learner's Agent.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from accounts.auth import agent_for
from accounts.models import User
from core.db import db
from core.errors import NotFound
from lrs import service as lrs_service
from lrs.auth import Client
from player.models import Attempt

XAPI_VERSION = "1.0.3"


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


def store_statements(statements: list[dict[str, Any]]) -> list[str]:
    """Validate and store statements the LMS writes (same rules as the HTTP API)."""
    if not statements:
        return []
    return lrs_service.store_statements(statements, lms_client(), XAPI_VERSION).ids


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
