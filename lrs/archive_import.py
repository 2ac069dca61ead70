"""Importing an archive made by ``lrs.export`` into an empty LRS, all or nothing.

First every member is checked against the manifest (sha256 and size; no member missing,
none added), before anything is written; then the rows go in, in the caller's one
transaction, with their original ``pk``, ``stored``, voided flags, filter rows, ETags
and ``updated``, and the stored clock is set to where the exported LRS had it, so a
statement stored after the import gets a later ``stored``.  A LRS that holds anything
already is refused: imported ``pk``s and ids would collide with its own, and "the same
answers" could not hold.  The caller commits (or rolls back on any error: nothing stays).

Statements are read line by line and written in chunks (COPY on PostgreSQL), so memory
stays flat however large the archive.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, insert, select

from core import jsoncodec
from core.db import db, dialect_insert
from core.errors import BadRequest, Conflict
from lrs import archive_parts
from lrs.export import (
    ACTIVITIES,
    ATTACHMENT_DIR,
    ATTACHMENTS,
    CHUNK,
    DOCUMENT_COLUMNS,
    DOCUMENTS,
    FILTERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    STATEMENTS,
    Progress,
)
from lrs.models import Activity, Attachment, Document, Statement, StatementFilter, StoredClock
from lrs.voiding import VOIDED_VERB

READ_SIZE = 1 << 20


def _refuse(message: str, where: str, detail: str) -> BadRequest:
    return BadRequest(message, errors=[{"path": where, "message": detail}])


def _quiet(_what: str, _done: int, _total: int) -> None:
    return None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The archive's manifest, checked for its format and version."""
    try:
        manifest = jsoncodec.loads(archive.read(MANIFEST))
    except KeyError:
        raise _refuse("Not an LRS archive", MANIFEST, "missing") from None
    except ValueError:
        raise _refuse("Not an LRS archive", MANIFEST, "not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("Not an LRS archive", f"{MANIFEST}:format", f"not {FORMAT}")
    if manifest.get("version") != FORMAT_VERSION:
        raise _refuse(
            "This archive's format version is not one this Kompetens reads",
            f"{MANIFEST}:version",
            f"{manifest.get('version')!r}, expected {FORMAT_VERSION}",
        )
    if not isinstance(manifest.get("members"), dict) or not isinstance(
        manifest.get("counts"), dict
    ):
        raise _refuse("Not an LRS archive", MANIFEST, "no members or counts")
    return manifest


def verify(archive: zipfile.ZipFile, progress: Progress = _quiet) -> dict[str, Any]:
    """Check every member against the manifest's sha256 and size; returns the manifest."""
    manifest = read_manifest(archive)
    members: dict[str, Any] = manifest["members"]
    present = {name for name in archive.namelist() if name != MANIFEST}
    for name in sorted(present ^ set(members)):
        where = "manifest" if name in present else "archive"
        raise _refuse("The archive does not match its manifest", name, f"not in the {where}")
    total = sum(int(m.get("size", 0)) for m in members.values())
    done = 0
    for name in sorted(members):
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(name) as stream:
                while chunk := stream.read(READ_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    done += len(chunk)
                    progress("verifying", done, total)
        except (zipfile.BadZipFile, OSError) as exc:  # a damaged member (zip's own CRC)
            raise _refuse("The archive is damaged", name, type(exc).__name__) from None
        expected = members[name]
        if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
            raise _refuse("The archive has been changed since it was made", name, "sha256 differs")
    return manifest


def check_empty() -> None:
    """Refuse an LRS that holds statements, documents, attachments or activities."""
    for model, what in (
        (Statement, "statements"),
        (Document, "documents"),
        (Attachment, "attachments"),
        (Activity, "activities"),
    ):
        if db.session.scalar(select(1).select_from(model).limit(1)) is not None:
            raise Conflict(
                f"This LRS is not empty (it has {what}): import only into an empty instance",
                errors=[{"path": "lrs", "message": f"has {what}"}],
            )


def import_lrs(
    path: Path, progress: Progress = _quiet, options: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """Verify the archive at ``path`` and import it; returns the counts imported.

    ``options`` go to the archive's optional parts (lrs.archive_parts), such as
    ``{"skip_missing_attempts": True}``.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _refuse("Not an LRS archive", "file", "not a zip file") from None
    with archive:
        manifest = verify(archive, progress)
        check_empty()
        connection = db.session.connection()
        counts = {
            "statements": _import_statements(connection, archive, progress, manifest),
            "statement_filters": _import_filters(connection, archive),
            "attachments": _import_attachments(archive),
            "activities": _import_activities(archive),
            "documents": _import_documents(archive),
        }
        for what, count in counts.items():
            if manifest["counts"].get(what) != count:
                raise _refuse(
                    "The archive does not match its manifest",
                    f"{MANIFEST}:counts.{what}",
                    f"{count} rows, the manifest says {manifest['counts'].get(what)}",
                )
        _after_import(connection, manifest.get("clock_ms"))
        counts.update(_import_parts(archive, manifest, options or {}, progress))
    progress("done", 1, 1)
    return counts


def _import_parts(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    options: Mapping[str, Any],
    progress: Progress,
) -> dict[str, int]:
    """Each optional part the archive holds, loaded by the area that registered it."""
    parts = manifest.get("parts") or {}
    if not isinstance(parts, dict):
        raise _refuse("Not an LRS archive", f"{MANIFEST}:parts", "not an object")
    counts: dict[str, int] = {}
    for name, about in sorted(parts.items()):
        part = archive_parts.get(name)
        member = about.get("member") if isinstance(about, dict) else None
        if part is None or member != part.member or member not in manifest["members"]:
            raise _refuse(
                "This archive has a part this Kompetens does not read",
                f"{MANIFEST}:parts.{name}",
                f"{about!r}",
            )
        seen = [0]

        def lines(member: str = member, seen: list[int] = seen) -> Iterator[tuple[int, Any]]:
            for number, line in _lines(archive, member):
                seen[0] = number
                yield number, line

        counts.update(part.load(lines, options))
        if seen[0] != about.get("lines"):
            raise _refuse(
                "The archive does not match its manifest",
                f"{MANIFEST}:parts.{name}.lines",
                f"{seen[0]} lines, the manifest says {about.get('lines')}",
            )
        progress(name, seen[0], seen[0])
    return counts


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for each line of an NDJSON member."""
    with archive.open(name) as stream:
        for number, line in enumerate(stream, start=1):
            try:
                yield number, jsoncodec.loads(line)
            except ValueError:
                raise _refuse(
                    "The archive has a line that is not JSON", name, f"line {number}"
                ) from None


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _statement_row(number: int, line: Any) -> dict[str, Any]:
    """A table row from an exported line; the indexed columns computed as storing does."""
    try:
        data = line["data"]
        obj = data["object"]
        verb = data["verb"]["id"]
        return {
            "pk": int(line["pk"]),
            "statement_id": str(data["id"]),
            "data": data,
            "stored": datetime.fromisoformat(line["stored"]),
            "verb_id": verb,
            "object_ref": obj.get("id") if obj.get("objectType") == "StatementRef" else None,
            "voided": bool(line["voided"]) and verb != VOIDED_VERB,
            "credential_id": None,
            "has_attachments": bool(data.get("attachments")),
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _refuse(
            "The archive has a statement it cannot read", STATEMENTS, f"line {number}"
        ) from None


def _import_statements(
    connection: Connection, archive: zipfile.ZipFile, progress: Progress, manifest: dict[str, Any]
) -> int:
    total, done = int(manifest["counts"].get("statements") or 0), 0
    rows = (_statement_row(n, line) for n, line in _lines(archive, STATEMENTS))
    for chunk in _chunks(rows):
        if connection.dialect.name == "postgresql":
            _copy_statements(connection, chunk)
        else:
            connection.execute(insert(Statement), chunk)
        done += len(chunk)
        progress("statements", done, total)
    return done


def _copy_statements(connection: Connection, rows: list[dict[str, Any]]) -> None:
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    driver: Any = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY lrs_statement ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = [row[name] for name in columns]
            values[columns.index("data")] = Jsonb(row["data"], dumps=jsoncodec.dumps_bytes)
            copy.write_row(values)


def _import_filters(connection: Connection, archive: zipfile.ZipFile) -> int:
    """Filter rows: straight into COPY on PostgreSQL, in chunks elsewhere."""
    done = 0
    with archive.open(FILTERS) as stream:
        if connection.dialect.name == "postgresql":
            driver: Any = connection.connection.driver_connection
            with (
                driver.cursor() as cursor,
                cursor.copy(
                    "COPY lrs_statement_filter (kind, key_hash, statement_pk) FROM STDIN"
                ) as copy,
            ):
                while chunk := stream.read(READ_SIZE):
                    done += chunk.count(b"\n")
                    copy.write(chunk)
            return done
        table: Any = StatementFilter.__table__
        batch: list[tuple[int, int, int]] = []
        for number, line in enumerate(_text_lines(stream), start=1):
            try:
                kind, key_hash, pk = (int(v) for v in line.split("\t"))
            except ValueError:
                raise _refuse(
                    "The archive has a filter row it cannot read", FILTERS, f"line {number}"
                ) from None
            batch.append((kind, key_hash, pk))
            if len(batch) >= CHUNK * 5:
                done += _insert_filters(connection, table, batch)
                batch = []
        return done + _insert_filters(connection, table, batch)


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    for raw in stream:
        yield raw.decode("ascii").rstrip("\n")


def _insert_filters(connection: Connection, table: Any, batch: list[tuple[int, int, int]]) -> int:
    if batch:
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} (kind, key_hash, statement_pk) VALUES (?, ?, ?)",  # noqa: S608  (no user input)
            batch,
        )
    return len(batch)


def _import_attachments(archive: zipfile.ZipFile) -> int:
    done = 0
    for number, line in _lines(archive, ATTACHMENTS):
        try:
            sha2, content_type = str(line["sha2"]), str(line["content_type"])
            data = archive.read(ATTACHMENT_DIR + sha2)
        except (KeyError, TypeError):
            raise _refuse(
                "The archive has an attachment it cannot read", ATTACHMENTS, f"line {number}"
            ) from None
        db.session.execute(
            insert(Attachment), {"sha2": sha2, "content_type": content_type, "data": data}
        )
        done += 1
    return done


def _import_activities(archive: zipfile.ZipFile) -> int:
    done = 0
    rows = (
        {k: line[k] for k in ("id_hash", "activity_id", "definition")}
        for _, line in _lines(archive, ACTIVITIES)
    )
    try:
        for chunk in _chunks(rows):
            db.session.execute(insert(Activity), chunk)
            done += len(chunk)
    except (KeyError, TypeError):
        raise _refuse("The archive has an activity it cannot read", ACTIVITIES, "a line") from None
    return done


def _document_row(number: int, line: Any) -> dict[str, Any]:
    try:
        row = {name: line[name] for name in DOCUMENT_COLUMNS}
        row["content"] = base64.b64decode(line["content"], validate=True)
        row["updated"] = datetime.fromisoformat(line["updated"])
        return row
    except (KeyError, TypeError, ValueError):
        raise _refuse(
            "The archive has a document it cannot read", DOCUMENTS, f"line {number}"
        ) from None


def _import_documents(archive: zipfile.ZipFile) -> int:
    done = 0
    rows = (_document_row(n, line) for n, line in _lines(archive, DOCUMENTS))
    for chunk in _chunks(rows):
        db.session.execute(insert(Document), chunk)
        done += len(chunk)
    return done


def _after_import(connection: Connection, clock_ms: Any) -> None:
    """The stored clock where the exported LRS had it; PostgreSQL's sequences past the ids."""
    if clock_ms is not None:
        stmt = dialect_insert(StoredClock).values(id=1, stored_ms=int(clock_ms))
        db.session.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"stored_ms": int(clock_ms)})
        )
    if connection.dialect.name == "postgresql":
        for table, column in (("lrs_statement", "pk"), ("lrs_document", "id")):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"  # noqa: S608  (our names)
                f" (SELECT max({column}) FROM {table})) WHERE EXISTS (SELECT 1 FROM {table})"
            )
