"""``lrs.service.store_statements``, the Python API the player and the portal write with.

It validates whatever its caller says (no caller is trusted to have validated), and
tells the receivers of ``lrs.signals.statements_stored`` of each batch it stores.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from core.db import db
from core.errors import BadRequest
from lrs import service
from lrs.auth import Client
from lrs.models import Statement
from lrs.signals import statements_stored

CLIENT = Client(id=0, scopes=frozenset({"all"}), authority={"mbox": "mailto:lms@example.org"})


def _statement(**overrides: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": "http://example.org/a"},
        **overrides,
    }


@pytest.mark.parametrize("batch", [1, 2], ids=["one", "batch"])
def test_lrs_storing_validates_what_a_python_caller_passes(app: Flask, batch: int) -> None:
    bad = _statement(result={"success": "yes"})
    with app.app_context():
        with pytest.raises(BadRequest) as refused:
            service.store_statements([_statement()] * (batch - 1) + [bad], CLIENT, "1.0.3")
        assert "result.success" in str(refused.value)
        db.session.rollback()
        assert db.session.query(Statement).count() == 0


def test_lrs_storing_tells_receivers_of_each_stored_batch(app: Flask) -> None:
    heard: list[tuple[Client, list[str], list[str]]] = []

    def receiver(client: Client, *, statements: list[dict[str, Any]]) -> None:
        heard.append((client, [s["id"] for s in statements], [s["stored"] for s in statements]))

    first, second = _statement(), _statement()
    with app.app_context(), statements_stored.connected_to(receiver):
        service.store_statements([first, second], CLIENT, "1.0.3")
        service.store_statements(first, CLIENT, "1.0.3")  # sent again, unchanged
        db.session.commit()
    assert len(heard) == 2
    assert heard[0][0] is CLIENT
    assert heard[0][1] == [first["id"], second["id"]]
    assert all(heard[0][2])  # as stored: the LRS's properties are set
    assert heard[1][1] == []  # nothing new was stored
