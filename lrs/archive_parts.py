"""Optional parts of an LRS archive that areas above the LRS add (the player's attempts).

The LRS may not import those areas (tests/test_layers.py), so they register here at app
start: a part names its archive member, writes its lines from the export's snapshot and
reads them back inside the import's one transaction.  An archive lists the parts it holds
in its manifest (``parts``, beside the checksummed ``members``), so an archive without
any still reads as format version 1 always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

# Fresh (line number, parsed JSON) pairs of the part's member on each call: a part may
# read its member twice (first to check what it refers to, then to store it).
Lines = Callable[[], Iterator[tuple[int, Any]]]


@dataclass(frozen=True)
class ArchivePart:
    """One optional part: ``export`` returns its counts, ``load`` the counts it stored."""

    name: str
    member: str
    # (snapshot connection, write one line's bytes) -> counts for the manifest
    export: Callable[[Connection, Callable[[bytes], None]], dict[str, int]]
    # (the member's lines, the import's options) -> counts stored (and skipped)
    load: Callable[[Lines, Mapping[str, Any]], dict[str, int]]


_parts: dict[str, ArchivePart] = {}


def register(part: ArchivePart) -> None:
    """Make ``part`` available to ``flask lrs export --NAME`` and every import."""
    _parts[part.name] = part


def get(name: str) -> ArchivePart | None:
    """The registered part called ``name``, if any."""
    return _parts.get(name)
