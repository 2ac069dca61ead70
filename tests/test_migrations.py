"""The migrations build the schema the models describe (``flask db check``, in the suite)."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, create_engine

from config import TestConfig
from core import create_app
from core.db import db


def test_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # Alembic cannot compare expression indexes (lower(user_name)); it says so.
            warnings.filterwarnings("ignore", message=".*expression.*")
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def _own_database(tmp_path: Path) -> tuple[Flask, Engine]:
    """An app on a SQLite file of its own (to migrate step by step), and an engine on it."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    second = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp_path),
            "STORAGE_PATH": str(tmp_path / "storage"),
        }
    )
    return second, create_engine(url)


def test_migrations_course_owner_codes_become_unit_ids_and_back(tmp_path) -> None:
    """b3d5f7a9c1e2: known codes become the unit's id; an unknown code gets an inactive
    unit of its own (the course stays restricted rather than becoming everyone's); the
    downgrade gives back the codes (a new code of the unit, if it was changed)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    second, engine = _own_database(tmp_path)
    with second.app_context():
        upgrade(revision="a9c4e1f0b2d3")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO portal_unit (id, code, name, kind, active)"
                    " VALUES (1, 'SOC', 'Soc', 'department', 1), (2, 'IFO', 'Ifo', 'unit', 1)"
                )
            )
            for n, code in enumerate(["SOC", "IFO", None, "gone", "gone", "ifo"], start=1):
                conn.execute(
                    text(
                        "INSERT INTO package_course (id, title, description, owner_unit,"
                        " published, created_at, updated_at)"
                        " VALUES (:id, 'c', '', :code, 1, '2026-01-01', '2026-01-01')"
                    ),
                    {"id": n, "code": code},
                )
        upgrade(revision="b3d5f7a9c1e2")
        with engine.connect() as conn:
            owners: dict[int, int | None] = dict(
                conn.execute(text("SELECT id, owner_unit_id FROM package_course")).all()
            )
            made = conn.execute(
                text("SELECT id, code, active FROM portal_unit WHERE id > 2 ORDER BY code")
            ).all()
        by_code = {code: (unit_id, active) for unit_id, code, active in made}
        assert set(by_code) == {"gone", "ifo-2"}  # "ifo" is not IFO: it was never shown to IFO
        assert not any(active for _id, active in by_code.values())
        assert owners == {
            1: 1,
            2: 2,
            3: None,
            4: by_code["gone"][0],
            5: by_code["gone"][0],
            6: by_code["ifo-2"][0],
        }
        with engine.begin() as conn:
            conn.execute(text("UPDATE portal_unit SET code = 'SOC-VO' WHERE id = 1"))
        downgrade(revision="a9c4e1f0b2d3")
        with engine.connect() as conn:
            codes: dict[int, str | None] = dict(
                conn.execute(text("SELECT id, owner_unit FROM package_course")).all()
            )
        assert codes == {1: "SOC-VO", 2: "IFO", 3: None, 4: "gone", 5: "gone", 6: "ifo-2"}
    engine.dispose()


def test_migrations_old_sessions_end_two_hours_after_they_start(tmp_path) -> None:
    """a7c3e9d2f4b8: sessions from before end times get one two hours after their start;
    old bookings hold a seat."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    second, engine = _own_database(tmp_path)
    with second.app_context():
        upgrade(revision="c8e2f4a6b1d3")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO portal_user (id, email, user_name, name, role, password_hash,"
                    " created_at, active, failed_logins, version) VALUES (1, 't@x.org', 't@x.org',"
                    " 'T', 'author', 'x', '2026-01-01', 1, 0, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO package_course (id, title, description, published, created_at,"
                    " updated_at) VALUES (1, 'c', '', 1, '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO portal_session (id, course_id, starts_at, place, trainer_id,"
                    " seats, registration, created_at) VALUES (1, 1, '2026-05-04 09:30:00.000000',"
                    " 'Hall', 1, 5, 'r1', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO portal_enrolment (id, session_id, user_id, enrolled_at, completed)"
                    " VALUES (1, 1, 1, '2026-01-02', 0)"
                )
            )
        upgrade(revision="a7c3e9d2f4b8")
        with engine.connect() as conn:
            ends = conn.execute(text("SELECT ends_at, sequence FROM portal_session")).one()
            status = conn.execute(text("SELECT status FROM portal_enrolment")).scalar()
        # Down and up again: the bookings survive (no table is rebuilt on SQLite, where a
        # rebuild's DROP TABLE would cascade to them).
        downgrade(revision="c8e2f4a6b1d3")
        upgrade(revision="a7c3e9d2f4b8")
        with engine.connect() as conn:
            bookings = conn.execute(text("SELECT count(*) FROM portal_enrolment")).scalar()
    assert str(ends[0]).startswith("2026-05-04 11:30:00")
    assert ends[1] == 0
    assert status == "booked"
    assert bookings == 1
    engine.dispose()


def test_migrations_on_sqlite_keep_the_rows_of_tables_that_refer_to_a_rebuilt_one(
    tmp_path,
) -> None:
    """Batch mode rebuilds a SQLite table and drops the old one; with foreign keys on,
    that DROP deleted every row that refers to it by ON DELETE CASCADE (an upgrade past
    b3d5f7a9c1e2, which rebuilds package_course, emptied the assignments and sessions).
    migrations/env.py turns foreign keys off while migrating."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    second, engine = _own_database(tmp_path)
    rows = {
        "portal_unit": "(id, code, name, kind, active) VALUES (1, 'SOC', 'Soc', 'department', 1)",
        "portal_user": "(id, email, user_name, name, password_hash, role, active,"
        " failed_logins, created_at, unit_id, version)"
        " VALUES (1, 'a@x.se', 'a@x.se', 'A', 'h', 'author', 1, 0, '2026-01-01', 1, 1)",
        "package_course": "(id, title, description, owner_unit, published, created_at,"
        " updated_at) VALUES (1, 'c', '', 'SOC', 1, '2026-01-01', '2026-01-01')",
        "portal_assignment": "(course_id, user_id, note, created_at)"
        " VALUES (1, 1, '', '2026-01-01')",
        "portal_session": "(id, course_id, starts_at, place, trainer_id, seats, registration,"
        " created_at) VALUES (1, 1, '2026-02-01 09:00', 'Rum 1', 1, 10,"
        " '2b1f4a8e-0000-4000-8000-000000000001', '2026-01-01')",
        "portal_enrolment": "(session_id, user_id, enrolled_at, completed)"
        " VALUES (1, 1, '2026-01-02', 0)",
    }
    with second.app_context():
        upgrade(revision="a9c4e1f0b2d3")
        with engine.begin() as conn:
            for table, values in rows.items():
                conn.execute(text(f"INSERT INTO {table} {values}"))
        upgrade()
        with engine.connect() as conn:
            counts = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                for table in rows
            }
        with db.engine.connect() as conn:  # the pooled connection the migrations used
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
    engine.dispose()
    assert counts == dict.fromkeys(rows, 1)


def test_migrations_versions_offered_before_review_are_published_and_keep_their_files(
    tmp_path,
) -> None:
    """e5c1a7d3b9f2: a version offered to learners before review existed is "published"
    (as if approved), one that was not is a draft; review_state is added in place, so a
    version's files survive the upgrade and the downgrade."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    second, engine = _own_database(tmp_path)
    version = text(
        "INSERT INTO package_version (id, course_id, number, kind, edition, title, published,"
        " manifest, launch, warnings, content_hash, file_count, total_size, created_at)"
        " VALUES (:id, 1, :id, 'scorm12', '1.2', 'v', :published, '{}', '[]', '[]',"
        " :hash, 1, 1, '2026-01-01')"
    )
    with second.app_context():
        upgrade(revision="b9e4d2c7a1f3")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO package_course (id, title, description, published, created_at,"
                    " updated_at) VALUES (1, 'c', '', 1, '2026-01-01', '2026-01-01')"
                )
            )
            for id_, published in ((1, 1), (2, 0)):
                conn.execute(version, {"id": id_, "published": published, "hash": str(id_) * 64})
                conn.execute(
                    text(
                        "INSERT INTO package_file (version_id, path, sha256, size)"
                        " VALUES (:id, 'index.html', :sha, 1)"
                    ),
                    {"id": id_, "sha": "a" * 64},
                )
        upgrade(revision="e5c1a7d3b9f2")
        with engine.connect() as conn:
            states = conn.execute(
                text("SELECT id, review_state FROM package_version ORDER BY id")
            ).all()
        downgrade(revision="b9e4d2c7a1f3")
        with engine.connect() as conn:
            files = conn.execute(text("SELECT count(*) FROM package_file")).scalar()
            columns = [row[1] for row in conn.execute(text("PRAGMA table_info(package_version)"))]
        upgrade()
    engine.dispose()
    assert [tuple(row) for row in states] == [(1, "published"), (2, "draft")]
    assert files == 2
    assert "review_state" not in columns


def test_migrations_manager_line_and_its_totals_are_filled_in(tmp_path) -> None:
    """c4f7a2e9b8d1: everyone's chain of managers becomes (manager, person) rows (a loop
    stops where it repeats), and each manager's monthly totals count their line's
    completions, per course and per month."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    second, engine = _own_database(tmp_path)
    with second.app_context():
        upgrade(revision="b9e4d2c7a1f3")
        with engine.begin() as conn:
            # 1 <- 2 <- 3, and a loop: 4 <- 5 <- 4.
            for user_id in range(1, 6):
                conn.execute(
                    text(
                        "INSERT INTO portal_user (id, email, user_name, name, role,"
                        " password_hash, created_at, active, failed_logins, version)"
                        " VALUES (:id, :email, :email, 'P', 'learner', 'x', '2026-01-01', 1, 0, 1)"
                    ),
                    {"id": user_id, "email": f"p{user_id}@x.org"},
                )
            for user_id, manager in ((2, 1), (3, 2), (4, 5), (5, 4)):
                conn.execute(
                    text("UPDATE portal_user SET manager_id = :manager WHERE id = :id"),
                    {"id": user_id, "manager": manager},
                )
            for n, (user_id, verb, course, score) in enumerate(
                ((3, "completed", 7, None), (3, "passed", 7, 0.5), (2, "completed", None, None))
            ):
                conn.execute(
                    text(
                        "INSERT INTO portal_completion (statement_id, user_id, actor_name,"
                        " activity_id, course_id, verb, score, stored, period) VALUES"
                        " (:sid, :user_id, '', 'a', :course, :verb, :score, '2026-03-02',"
                        " '2026-03')"
                    ),
                    {
                        "sid": f"s{n}",
                        "user_id": user_id,
                        "verb": verb,
                        "course": course,
                        "score": score,
                    },
                )
        upgrade(revision="c4f7a2e9b8d1")
        with engine.connect() as conn:
            pairs = set(
                conn.execute(text("SELECT manager_id, person_id FROM accounts_manager_line"))
            )
            totals = {
                (m, dim, ref): (c, p, s)
                for m, dim, ref, c, p, s in conn.execute(
                    text(
                        "SELECT manager_id, dim, ref, completed, passed, score_sum"
                        " FROM portal_line_rollup"
                    )
                )
            }
        downgrade(revision="b9e4d2c7a1f3")
    engine.dispose()
    assert pairs == {(1, 2), (1, 3), (2, 3), (4, 5), (5, 4)}
    assert totals == {
        (1, "c", 7): (1, 1, 0.5),
        (1, "c", 0): (1, 0, 0.0),
        (1, "m", 0): (2, 1, 0.5),
        (2, "c", 7): (1, 1, 0.5),
        (2, "m", 0): (1, 1, 0.5),
    }
