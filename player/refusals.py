"""Values a course tried to store and the player refused, kept for the course's authors.

Both kinds land here: a value the runtime frame refused at SetValue (the SCO got the
SCORM error; runtime.js reports it with the next commit) and an element the server left
out of a commit (player.cmi_salvage). Authors see them per package version on their
course's page (player.views.refused_values), so a course that writes something the
standard does not allow is noticed, without the learner losing anything else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from packages.models import PackageVersion
from player import attempts
from player.cmi.rules import pattern_of
from player.models import RefusedValue, ScoState

#: Characters of a refused value kept (it may be 64 KiB of suspend_data).
VALUE_CHARS = 200
#: Rows kept per package version: a course that refuses values without end is noticed
#: long before this, and a hostile client cannot fill the table.
MAX_ROWS = 500
#: Refusals counted per SCO session (the rest are repeats of the same fault).
MAX_PER_SESSION = 100


@dataclass(frozen=True)
class Refusal:
    """One refused value: the element's path, the SCORM error, why, and the value."""

    path: str
    code: int
    message: str
    value: Any
    source: str = "server"


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"


def _digest(sco_id: str, refusal: Refusal) -> str:
    key = "\x1f".join((sco_id, pattern_of(refusal.path), str(refusal.code), _text(refusal.value)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def record(version: PackageVersion, state: ScoState, refusals: list[Refusal]) -> None:
    """Count each refusal once per SCO session (the session's list is reset at launch)."""
    seen = list(state.refused or [])
    moment = attempts.now()
    for refusal in refusals:
        digest = _digest(state.sco_id, refusal)
        if digest in seen or len(seen) >= MAX_PER_SESSION:
            continue
        seen.append(digest)
        _count(version, state.sco_id, digest, refusal, moment)
    state.refused = seen


def _count(
    version: PackageVersion, sco_id: str, digest: str, refusal: Refusal, moment: Any
) -> None:
    bumped = db.session.execute(
        update(RefusedValue)
        .where(RefusedValue.version_id == version.id, RefusedValue.digest == digest)
        .values(count=RefusedValue.count + 1, last_seen=moment)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount:  # type: ignore[attr-defined]
        return
    rows = db.session.scalar(
        select(func.count()).select_from(RefusedValue).where(RefusedValue.version_id == version.id)
    )
    if (rows or 0) >= MAX_ROWS:
        return
    row = RefusedValue(
        version_id=version.id,
        digest=digest,
        sco_id=sco_id[:255],
        element=pattern_of(refusal.path)[:255],
        value=_text(refusal.value),
        code=refusal.code,
        message=refusal.message[:500],
        source=refusal.source,
        count=1,
        first_seen=moment,
        last_seen=moment,
    )
    try:
        # Another attempt may insert the same refusal at the same moment (the attempts'
        # row locks do not order them): then count on its row.
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        db.session.execute(
            update(RefusedValue)
            .where(RefusedValue.version_id == version.id, RefusedValue.digest == digest)
            .values(count=RefusedValue.count + 1, last_seen=moment)
            .execution_options(synchronize_session=False)
        )


def for_versions(version_ids: list[int]) -> list[RefusedValue]:
    """The refused values of these package versions, most frequent first."""
    if not version_ids:
        return []
    return list(
        db.session.scalars(
            select(RefusedValue)
            .where(RefusedValue.version_id.in_(version_ids))
            .order_by(RefusedValue.count.desc(), RefusedValue.last_seen.desc())
            .limit(MAX_ROWS)
        )
    )
