"""SCORM 1.2 behaviour behind the same API: no sequencing, the LMS navigates.

SCORM 1.2 CAM §2.3 leaves navigation to the LMS: every launchable item (one with an
``href``, parents included) can be chosen, continue/previous follow the tree order, and
``adlcp:prerequisites`` (``aicc_script``, CAM 1.2 §2.3.2.x / AICC CMI001 §A.2) disable an
item until the items it names are completed or passed.  Requests are refused with the
same SN exception codes as SCORM 2004 so the player has one code path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from player.sequencing.errors import SequencingError
from player.sequencing.model import Activity
from player.sequencing.result import NavResult

if TYPE_CHECKING:
    # Only a type: the sequencer calls this module with itself.
    from player.sequencing.sequencer import Sequencer


def _launchable(seq: Sequencer) -> list[Activity]:
    return [a for a in seq.tree.preorder() if a.href and a.parent is not None]


def _status(seq: Sequencer, ident: str) -> str:
    """Return an item's 1.2 lesson status as far as the tracking model knows it."""
    if ident not in seq.tree:
        return "not attempted"
    activity = seq.tree[ident]
    satisfied = seq.t.satisfied(activity)
    if satisfied is not None:
        return "passed" if satisfied else "failed"
    completion = seq.t.completion(activity)
    if completion:
        return "completed"
    return "incomplete" if seq.t.act(activity).attempts else "not attempted"


_TOKEN = re.compile(r'\s*(?:(\d+)\s*\*\s*\{([^}]*)\}|([&|~()])|(<>|=)|"([^"]*)"|([^\s&|~()=<>"]+))')


def prerequisites_met(seq: Sequencer, script: str | None) -> bool:
    """Evaluate an ``aicc_script`` prerequisite (``A & (B | ~C)``, ``A = "passed"``, ``2*{A,B,C}``).

    An identifier alone is true when that item is completed or passed.  An expression that
    cannot be parsed does not block the learner.
    """
    if not script or not script.strip() or not seq.prerequisites:
        return True
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(script):
        match = _TOKEN.match(script, pos)
        if not match or match.end() == pos:
            return True
        pos = match.end()
        count, members, op, cmp, literal, ident = match.groups()
        if count:
            names = [m.strip() for m in members.split(",") if m.strip()]
            done = sum(1 for n in names if _status(seq, n) in ("completed", "passed"))
            tokens.append(("bool", "1" if done >= int(count) else "0"))
        elif op:
            tokens.append(("op", op))
        elif cmp:
            tokens.append(("cmp", cmp))
        elif literal is not None:
            tokens.append(("lit", literal))
        elif ident:
            tokens.append(("id", ident))
    try:
        value, rest = _or(seq, tokens)
    except (IndexError, ValueError):
        return True
    return value if not rest else True


def _or(seq: Sequencer, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
    value, rest = _and(seq, tokens)
    while rest and rest[0] == ("op", "|"):
        right, rest = _and(seq, rest[1:])
        value = value or right
    return value, rest


def _and(seq: Sequencer, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
    value, rest = _unary(seq, tokens)
    while rest and rest[0] == ("op", "&"):
        right, rest = _unary(seq, rest[1:])
        value = value and right
    return value, rest


def _unary(seq: Sequencer, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
    kind, text = tokens[0]
    if (kind, text) == ("op", "~"):
        value, rest = _unary(seq, tokens[1:])
        return not value, rest
    if (kind, text) == ("op", "("):
        value, rest = _or(seq, tokens[1:])
        if not rest or rest[0] != ("op", ")"):
            raise ValueError("unbalanced parentheses")
        return value, rest[1:]
    if kind == "bool":
        return text == "1", tokens[1:]
    if kind == "id":
        status = _status(seq, text)
        if len(tokens) >= 3 and tokens[1][0] == "cmp" and tokens[2][0] == "lit":
            wanted = tokens[2][1].lower()
            same = status == wanted or (wanted in ("p", "c", "f", "i", "n") and status[0] == wanted)
            return (same if tokens[1][1] == "=" else not same), tokens[3:]
        return status in ("completed", "passed"), tokens[1:]
    raise ValueError(f"unexpected {text!r}")


def navigate_simple(seq: Sequencer, request: str, target: str | None) -> NavResult:
    """Navigation for SCORM 1.2 (see the module docstring)."""
    items = _launchable(seq)
    state = seq.state
    cur = seq.tree[state.current] if state.current and state.current in seq.tree else None
    if request in ("start", "resumeAll"):
        if cur is not None:
            raise SequencingError("NB.2.1-1")
        if request == "resumeAll":
            if not state.suspended or state.suspended not in seq.tree:
                raise SequencingError("NB.2.1-3")
            return _deliver(seq, request, cur, seq.tree[state.suspended])
        for item in items:
            if prerequisites_met(seq, item.prerequisites):
                return _deliver(seq, request, cur, item)
        raise SequencingError("SB.2.5-3")
    if request in ("choice", "jump"):
        if not target or target not in seq.tree:
            raise SequencingError("NB.2.1-11")
        chosen = seq.tree[target]
        if not chosen.href or chosen.parent is None:
            raise SequencingError("DB.1.1-1")
        return _deliver(seq, request, cur, chosen)
    if cur is None:
        raise SequencingError("NB.2.1-2")
    if request in ("continue", "previous"):
        index = items.index(cur) if cur in items else -1
        step = 1 if request == "continue" else -1
        index += step
        while 0 <= index < len(items):
            if prerequisites_met(seq, items[index].prerequisites):
                return _deliver(seq, request, cur, items[index])
            index += step
        if request == "continue":
            return _end(seq, request, cur, suspend=False)
        raise SequencingError("SB.2.1-3")
    if request in ("exit", "abandon"):
        if not seq.t.act(cur).active:
            raise SequencingError("NB.2.1-12")
        _leave(seq, cur)
        return NavResult(request)
    if request in ("exitAll", "abandonAll"):
        return _end(seq, request, cur, suspend=False)
    if request == "suspendAll":
        return _end(seq, request, cur, suspend=True)
    raise SequencingError("NB.2.1-13")


def _leave(seq: Sequencer, activity: Activity) -> None:
    act = seq.t.act(activity)
    if act.active and act.exit_suspend:
        act.suspended = True  # cmi.core.exit = "suspend": resume next time
    act.active = False


def _deliver(seq: Sequencer, request: str, cur: Activity | None, activity: Activity) -> NavResult:
    """Make ``activity`` the current one (leaving ``cur``) and deliver it."""
    if not prerequisites_met(seq, activity.prerequisites):
        raise SequencingError("DB.1.1-3")
    if cur is not None and cur is not activity:
        _leave(seq, cur)
    act = seq.t.act(activity)
    resume = act.suspended
    if not resume and not act.active:
        act.attempts += 1
    act.suspended = act.exit_suspend = False
    act.active = True
    if activity.scorm_type == "asset":  # assets make no API calls: launched is done
        seq.t.set_objective(activity, activity.primary, completion=True)
    root = seq.t.act(seq.tree.root)
    root.attempts = max(root.attempts, 1)
    root.active, root.suspended = True, False
    state = seq.state
    state.current, state.suspended, state.ended = activity.id, None, False
    return NavResult(
        request,
        activity=activity.id,
        title=activity.title,
        href=activity.href,
        parameters=activity.parameters,
        resume=resume,
    )


def _end(seq: Sequencer, request: str, cur: Activity | None, *, suspend: bool) -> NavResult:
    """End the sequencing session, keeping the learner's place with ``suspend``."""
    if cur is not None:
        _leave(seq, cur)
        if suspend:
            seq.t.act(cur).suspended = True
    for node in seq.tree.preorder():
        seq.t.act(node).active = False
    state = seq.state
    state.suspended = cur.id if suspend and cur is not None else None
    state.current, state.ended = None, True
    return NavResult(request, ended=True)


def course_status_simple(seq: Sequencer) -> tuple[str, str, float | None]:
    """SCORM 1.2 course status from its SCOs (assets count as completed once launched)."""
    scos = [a for a in _launchable(seq) if (a.scorm_type or "sco") == "sco"] or _launchable(seq)
    completions = []
    for a in scos:
        completion = seq.t.completion(a)
        completions.append(
            completion if completion is not None else (False if seq.t.act(a).attempts else None)
        )
    if scos and all(c is True for c in completions):
        completion_out = "completed"
    elif any(c is not None for c in completions):
        completion_out = "incomplete"
    else:
        completion_out = "not attempted"
    successes = [seq.t.satisfied(a) for a in scos]
    if any(s is False for s in successes):
        success = "failed"
    elif any(s is True for s in successes):
        success = "passed"
    else:
        success = "unknown"
    measures = [m for m in (seq.t.measure(a) for a in scos) if m is not None]
    measure = sum(measures) / len(measures) if measures else None
    return completion_out, success, measure
