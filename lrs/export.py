"""Exporting the LRS whole, losslessly, into a zip archive with a checksummed manifest.

What leaves is what the LRS answers from: every statement row as stored (its ``pk``,
which ``more`` links carry, its ``stored``, whether it is voided, its JSON with
``authority``), the filter rows that make it findable (written when it was stored,
some inherited from a StatementRef's target as it stood then: lrs/filters.py, so they
are copied rather than computed again), attachments, canonical activity definitions,
State/Activity Profile/Agent Profile documents with their ETags and ``updated``, and
the stored clock.  ``lrs.archive_import`` puts them back into an empty LRS, after which
statement GETs answer the same bytes.  Credentials stay behind (secrets of this
instance): imported statements belong to no credential (``statements/read/mine``).

Everything is read in one snapshot on a connection of its own (PostgreSQL REPEATABLE
READ, a SQLite read transaction), streamed row by row into the zip: memory stays flat
however many statements there are.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, func, select

from core import jsoncodec
from core.db import db
from lrs import archive_parts
from lrs.models import Activity, Attachment, Document, Statement, StatementFilter, StoredClock

FORMAT = "kompetens-lrs-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STATEMENTS = "statements.ndjson"
FILTERS = "statement_filters.tsv"
ATTACHMENTS = "attachments.ndjson"
ATTACHMENT_DIR = "attachments/"
ACTIVITIES = "activities.ndjson"
DOCUMENTS = "documents.ndjson"
# Rows fetched from the database at a time while streaming.
CHUNK = 2000

# (what, done, total): how far an export or import is, for a progress line or a job.
Progress = Callable[[str, int, int], None]


def _no_progress(_what: str, _done: int, _total: int) -> None:
    return None


@dataclass
class Manifest:
    """What an archive holds: counts, and the sha256 and size of each member."""

    created: str
    clock_ms: int | None
    counts: dict[str, int] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Optional parts (lrs.archive_parts): name -> {"member": ..., "lines": ...}.
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The manifest as written into the archive (``parts`` only when there are some)."""
        written = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": self.created,
            "clock_ms": self.clock_ms,
            "counts": self.counts,
            "members": self.members,
        }
        if self.parts:
            written["parts"] = self.parts
        return written


class _Member:
    """A member being written: its bytes go to the zip, through a sha256."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.sha256.update(data)
        self.size += len(data)


@contextmanager
def _member(archive: zipfile.ZipFile, manifest: Manifest, name: str) -> Iterator[_Member]:
    with archive.open(name, "w", force_zip64=True) as stream:
        member = _Member(stream)
        yield member
    manifest.members[name] = {"sha256": member.sha256.hexdigest(), "size": member.size}


@contextmanager
def snapshot() -> Iterator[Connection]:
    """A connection of its own that reads one consistent state of the database."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            # Python's sqlite3 opens no transaction for reads: without BEGIN every
            # query would see the database as it is then, not as the first one did.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _rows(connection: Connection, stmt: Any) -> Iterator[Any]:
    """Stream a query's rows (a server-side cursor on PostgreSQL)."""
    result = connection.execution_options(stream_results=True, max_row_buffer=CHUNK).execute(stmt)
    for partition in result.partitions(CHUNK):
        yield from partition


def count_statements() -> int:
    """How many statements an export would hold (for the admin page)."""
    return db.session.scalar(select(func.count()).select_from(Statement)) or 0


def export_lrs(
    target: Path, progress: Progress = _no_progress, parts: Sequence[str] = ()
) -> Manifest:
    """Write the whole LRS into a new zip at ``target``; returns its manifest.

    ``parts`` names optional parts (lrs.archive_parts) to add, such as "attempts".
    """
    chosen = [part for name in parts if (part := archive_parts.get(name)) is not None]
    if len(chosen) != len(parts):
        raise ValueError(f"unknown archive part among {list(parts)}")
    manifest = Manifest(created=datetime.now(UTC).isoformat(timespec="seconds"), clock_ms=None)
    with (
        snapshot() as connection,
        zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        manifest.clock_ms = connection.scalar(
            select(StoredClock.stored_ms).where(StoredClock.id == 1)
        )
        tables: list[tuple[str, Callable[..., int]]] = [
            ("statements", _write_statements),
            ("statement_filters", _write_filters),
            ("attachments", _write_attachments),
            ("activities", _write_activities),
            ("documents", _write_documents),
        ]
        for what, write in tables:
            manifest.counts[what] = write(connection, archive, manifest, progress)
        for part in chosen:
            _write_part(connection, archive, manifest, part, progress)
        archive.writestr(MANIFEST, jsoncodec.dumps_bytes(manifest.as_json()))
    return manifest


def _write_part(
    connection: Connection,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    part: archive_parts.ArchivePart,
    progress: Progress,
) -> None:
    lines = 0

    with _member(archive, manifest, part.member) as out:

        def write_line(data: bytes) -> None:
            nonlocal lines
            out.write(data + b"\n")
            lines += 1

        counts = part.export(connection, write_line)
    manifest.counts.update(counts)
    manifest.parts[part.name] = {"member": part.member, "lines": lines}
    progress(part.name, lines, lines)


def _total(connection: Connection, model: Any) -> int:
    return connection.scalar(select(func.count()).select_from(model)) or 0


def _write_statements(
    connection: Connection, archive: zipfile.ZipFile, manifest: Manifest, progress: Progress
) -> int:
    """One JSON line per statement row, in pk order: pk, stored, voided and the statement."""
    total, done = _total(connection, Statement), 0
    columns = (Statement.pk, Statement.stored, Statement.voided, Statement.data)
    with _member(archive, manifest, STATEMENTS) as out:
        for pk, stored, voided, data in _rows(connection, select(*columns).order_by(Statement.pk)):
            line = {"pk": pk, "stored": _iso(stored), "voided": bool(voided), "data": data}
            out.write(jsoncodec.dumps_bytes(line) + b"\n")
            done += 1
            if done % 10_000 == 0:
                progress("statements", done, total)
    progress("statements", done, total)
    return done


def _write_filters(
    connection: Connection, archive: zipfile.ZipFile, manifest: Manifest, progress: Progress
) -> int:
    """The filter rows as ``kind<TAB>key_hash<TAB>statement_pk`` lines, in key order."""
    done = 0
    table: Any = StatementFilter.__table__
    stmt = select(table.c.kind, table.c.key_hash, table.c.statement_pk)
    with _member(archive, manifest, FILTERS) as out:
        lines: list[str] = []
        for kind, key_hash, pk in _rows(connection, stmt):
            lines.append(f"{kind}\t{key_hash}\t{pk}\n")
            if len(lines) >= CHUNK:
                out.write("".join(lines).encode())
                done += len(lines)
                lines = []
        out.write("".join(lines).encode())
        done += len(lines)
    progress("statement_filters", done, done)
    return done


def _write_attachments(
    connection: Connection, archive: zipfile.ZipFile, manifest: Manifest, progress: Progress
) -> int:
    """Each attachment's bytes as a member of its own, listed in attachments.ndjson."""
    listed: list[bytes] = []
    table: Any = Attachment.__table__
    stmt = select(table.c.sha2, table.c.content_type, table.c.data).order_by(table.c.sha2)
    for sha2, content_type, data in _rows(connection, stmt):
        with _member(archive, manifest, ATTACHMENT_DIR + sha2) as out:
            out.write(bytes(data))
        listed.append(jsoncodec.dumps_bytes({"sha2": sha2, "content_type": content_type}) + b"\n")
    with _member(archive, manifest, ATTACHMENTS) as out:
        out.write(b"".join(listed))
    progress("attachments", len(listed), len(listed))
    return len(listed)


def _write_activities(
    connection: Connection, archive: zipfile.ZipFile, manifest: Manifest, progress: Progress
) -> int:
    done = 0
    table: Any = Activity.__table__
    with _member(archive, manifest, ACTIVITIES) as out:
        for id_hash, activity_id, definition in _rows(
            connection,
            select(table.c.id_hash, table.c.activity_id, table.c.definition).order_by(
                table.c.id_hash
            ),
        ):
            row = {"id_hash": id_hash, "activity_id": activity_id, "definition": definition}
            out.write(jsoncodec.dumps_bytes(row) + b"\n")
            done += 1
    progress("activities", done, done)
    return done


DOCUMENT_COLUMNS = (
    "id",
    "kind",
    "set_key",
    "activity_id",
    "agent_key",
    "registration",
    "doc_id",
    "doc_hash",
    "content_type",
    "etag",
)


def _write_documents(
    connection: Connection, archive: zipfile.ZipFile, manifest: Manifest, progress: Progress
) -> int:
    """Every document with its ETag and ``updated``; the content in base64."""
    done = 0
    table: Any = Document.__table__
    columns = [table.c[name] for name in DOCUMENT_COLUMNS]
    stmt = select(*columns, table.c.content, table.c.updated).order_by(table.c.id)
    with _member(archive, manifest, DOCUMENTS) as out:
        for row in _rows(connection, stmt):
            values = dict(zip(DOCUMENT_COLUMNS, row, strict=False))
            values["content"] = base64.b64encode(bytes(row.content)).decode("ascii")
            values["updated"] = _iso(row.updated)
            out.write(jsoncodec.dumps_bytes(values) + b"\n")
            done += 1
    progress("documents", done, done)
    return done
