"""What a learner-bound credential may write: its launch, nothing else.

The player gives a cmi5 AU (through its fetch URL) or an xAPI activity (in its launch URL)
a credential of its own, bound to the learner, the attempt's registration and the launched
activities (player/cmi5/). The content holds it in the browser, so the learner holds it
too, and anything the LRS accepts with it must be something this launch could have
reported:

- the actor is the learner (any other learner's result would be forged);
- the statement is in the launch's registration (cmi5 §9.6.1: every statement carries
  it), and a cmi5 AU's in its own session where it names one (§9.6.3.1, the sessionid
  extension; cmi5 §6.3: the LMS rejects statements that break the Statement API rules);
- its object is one of the launched activities, or lies under one (an IRI that continues
  it with ``/``, ``#``, ``?`` or ``:``, as authoring tools name slides and questions), or a
  SubStatement or StatementRef within the same bounds; never an Agent or Group;
- a cmi5 AU voids nothing (cmi5 §6.3: "The LMS MUST NOT provide permissions/credentials
  which allow the AU to issue voiding Statements"); an xAPI activity voids (or refers to)
  only statements of its own learner and registration;
- documents: it writes state only for its learner, registration and activities, never
  the LMS's ``LMS.LaunchData`` (cmi5 §10: "The AU MUST NOT modify or delete" it), and
  activity profiles only of its activities.

Credentials an admin makes (no agent) are not limited here: their scopes govern them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from core.db import db
from core.errors import Forbidden
from lrs.auth import Client
from lrs.documents import DocumentSet, Kind
from lrs.keys import agent_key
from lrs.models import Statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_DATA = "LMS.LaunchData"
_SEPARATORS = "/#?:"


def _refuse(message: str, path: str, why: str) -> Forbidden:
    return Forbidden(message, errors=[{"path": path, "message": why}])


def within(activity_id: str, roots: Sequence[str]) -> bool:
    """Whether ``activity_id`` is one of ``roots`` or an IRI that continues one of them."""
    for root in roots:
        if activity_id == root:
            return True
        if activity_id.startswith(root) and (
            root[-1] in _SEPARATORS or activity_id[len(root)] in _SEPARATORS
        ):
            return True
    return False


def check_statements(statements: Sequence[dict[str, Any]], client: Client) -> None:
    """Refuse (403) a batch with any statement this learner-bound client may not write."""
    if client.agent is None:
        return
    own = agent_key(client.agent)
    for index, statement in enumerate(statements):
        _check_statement(statement, client, own, f"[{index}]")


def _check_statement(statement: dict[str, Any], client: Client, own: str | None, path: str) -> None:
    if agent_key(statement["actor"]) != own:
        raise _refuse(
            "This credential may only record statements about its own learner",
            f"{path}.actor",
            "not the launched learner",
        )
    context = statement.get("context") or {}
    if client.registration and str(context.get("registration", "")).lower() != (
        client.registration.lower()
    ):
        raise _refuse(
            "This credential may only record statements in its launch's registration",
            f"{path}.context.registration",
            "not the launch's registration",
        )
    session = (context.get("extensions") or {}).get(SESSION_EXT)
    if client.session_id and session is not None and session != client.session_id:
        raise _refuse(
            "This credential may only record statements in its own cmi5 session",
            f"{path}.context.extensions",
            "another session's id",
        )
    _check_object(statement, client, own, path)


def _check_object(statement: dict[str, Any], client: Client, own: str | None, path: str) -> None:
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        if not within(str(obj["id"]), client.activity_roots or ()):
            raise _refuse(
                "This credential may only record statements about the launched activities",
                f"{path}.object.id",
                "outside the launched activities",
            )
    elif kind == "SubStatement":
        # Its actor and object, as for the statement (whose registration covers it).
        if agent_key(obj["actor"]) != own:
            raise _refuse(
                "This credential may only record statements about its own learner",
                f"{path}.object.actor",
                "not the launched learner",
            )
        _check_object(obj, client, own, path + ".object")
    elif kind == "StatementRef":
        _check_reference(statement, client, own, path)
    else:
        raise _refuse(
            "This credential may only record statements about activities",
            f"{path}.object.objectType",
            f"{kind} objects are not allowed",
        )


def _check_reference(statement: dict[str, Any], client: Client, own: str | None, path: str) -> None:
    """A StatementRef (voiding or not) must point at a statement of this launch."""
    if statement["verb"]["id"] == VOIDED and client.session_id:
        raise _refuse("A cmi5 AU may not void statements (cmi5 §6.3)", f"{path}.verb.id", "voiding")
    target = db.session.scalar(
        select(Statement.data).where(Statement.statement_id == str(statement["object"]["id"]))
    )
    registration = str(((target or {}).get("context") or {}).get("registration", "")).lower()
    if (
        target is None
        or agent_key(target["actor"]) != own
        or registration != (client.registration or "").lower()
    ):
        raise _refuse(
            "This credential may only refer to its own learner's statements of this launch",
            f"{path}.object.id",
            "not a statement of this launch",
        )


def check_document_write(client: Client, documents: DocumentSet, doc_id: str | None) -> None:
    """Refuse (403) a document write outside the client's launch."""
    if client.agent is None:
        return
    if documents.kind is Kind.AGENT_PROFILE:
        return  # the agent is checked already: only the learner's own profile
    if not within(str(documents.activity_id), client.activity_roots or ()):
        raise _refuse(
            "This credential may only write documents of the launched activities",
            "query:activityId",
            "outside the launched activities",
        )
    if documents.kind is Kind.STATE:
        if client.registration and documents.registration != client.registration.lower():
            raise _refuse(
                "This credential may only write state in its launch's registration",
                "query:registration",
                "not the launch's registration",
            )
        if doc_id in (LAUNCH_DATA, None):
            raise _refuse(
                "LMS.LaunchData is the LMS's document (cmi5 §10)",
                "query:stateId",
                "written by the LMS only",
            )
