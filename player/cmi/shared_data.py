"""Shared data (``adl.data``, SCORM 2004 4th edition): maps, launch entries, writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from player.cmi.checker import Checker
from player.cmi.readonly import same_value
from player.cmi.tree import listify
from player.cmi.values import DEFAULT_ARRAY_CAP, DEFAULT_TEXT_CAP, SCORM2004, CmiProblem, as_text

#: ``adl.data.n.store`` is a characterstring with an SPM of 64000 (SCORM 2004 4th Ed. RTE,
#: the shared data model ``adl.data``); as for ``suspend_data`` (same SPM), longer values
#: are accepted up to the hard cap (SCORM_CHECKS §3.2).
SHARED_DATA_SPM = 64000


@dataclass(frozen=True)
class SharedDataMap:
    """One ``adlcp:map`` of an item: ``adl.data.n`` of the SCO, in manifest order."""

    target_id: str
    read: bool = True
    write: bool = False


def shared_data_maps(item: Mapping[str, Any]) -> list[SharedDataMap]:
    """The ``adlcp:data/adlcp:map`` entries of a manifest item (``packages.manifest``).

    Defaults from ADL's adlcp_v1p3.xsd (4th Ed. CAM §3.4.1.x, ``<adlcp:map>``):
    ``readSharedData`` true, ``writeSharedData`` false. A map without a targetID is
    skipped; a repeated targetID keeps its first map (one bucket is one adl.data.n).
    """
    maps: list[SharedDataMap] = []
    seen: set[str] = set()
    for raw in item.get("shared_data") or []:
        if not isinstance(raw, Mapping):
            continue
        target = as_text(raw.get("targetID")).strip()
        if not target or target in seen:
            continue
        seen.add(target)
        maps.append(
            SharedDataMap(
                target,
                read=raw.get("readSharedData", True) is not False,
                write=raw.get("writeSharedData", False) is True,
            )
        )
    return maps


def initial_adl_data(
    maps: Iterable[SharedDataMap], buckets: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The ``adl.data`` entries handed to a SCO at launch, one per map, in map order.

    ``{"id", "read", "write"}`` plus ``"store"`` only when the bucket was written and the
    map may read it: an unwritten store answers 403 (not initialized) and an unreadable
    one 405 (write-only) to GetValue, so its value never leaves the server.
    """
    entries: list[dict[str, Any]] = []
    for m in maps:
        entry: dict[str, Any] = {"id": m.target_id, "read": m.read, "write": m.write}
        if m.read and m.target_id in buckets:
            entry["store"] = buckets[m.target_id]
        entries.append(entry)
    return entries


def check_adl_data(
    sent: list[dict[str, Any]],
    committed: Any,
    *,
    text_cap: int = DEFAULT_TEXT_CAP,
) -> tuple[list[CmiProblem], dict[str, str]]:
    """Validate the ``adl`` part of a commit; return its problems and the stores to write.

    ``sent`` is what :func:`initial_adl_data` handed the session; ``committed`` is the
    commit's ``adl`` object, ``{"data": {"0": {"id", "store"}, ...}}`` as scorm-again
    renders it (a list works too). ``adl.data.n.id`` is read-only (404); a store is
    written only when it differs from what was sent, and only through a map with
    ``writeSharedData`` (else 404, read-only). Entries past the SCO's maps: 351. A store
    the SCO never set is rendered as "" and is not a write, so an empty string set on an
    unwritten bucket is not stored (the bucket stays "not initialized").
    """
    if committed is None:
        return [], {}
    if not isinstance(committed, Mapping):
        return [CmiProblem("adl", 406, "must be an object")], {}
    data = listify(committed.get("data"))
    if data is None or data == {}:
        return [], {}
    if not isinstance(data, list):
        return [CmiProblem("adl.data", 406, "must be an array")], {}
    c = Checker(SCORM2004, text_cap, DEFAULT_ARRAY_CAP)
    writes: dict[str, str] = {}
    for index, entry in enumerate(data):
        path = f"adl.data.{index}"
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            c.add(path, 406, "must be an object")
            continue
        if index >= len(sent):
            c.add(path, 351, f"the SCO has {len(sent)} adl.data entries")
            continue
        known = sent[index]
        if "id" in entry and not same_value(entry.get("id"), known["id"]):
            # Not this entry's bucket: its store is not written (the rest of the commit is).
            c.add(f"{path}.id", 404, f"read-only: sent {known['id']!r}, got {entry.get('id')!r}")
            continue
        store = c.string(f"{path}.store", entry.get("store"), SHARED_DATA_SPM)
        if store is None:
            continue
        before = known.get("store")
        if store == (before if before is not None else ""):
            continue
        if not known.get("write"):
            c.add(f"{path}.store", 404, "read-only: the map has writeSharedData false")
            continue
        writes[str(known["id"])] = store
    return c.problems, writes
