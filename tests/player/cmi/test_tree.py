"""Commit bodies in every ``dataCommitFormat`` (player/cmi/tree.py)."""

from __future__ import annotations

from typing import Any

import pytest

from player.cmi import (
    normalise_commit,
)

# -- normalising commit bodies ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {
            "cmi": {
                "core": {"exit": "suspend"},
                "interactions": {"0": {"id": "q1"}, "1": {"id": "q2"}},
            }
        },
        {"cmi.core.exit": "suspend", "cmi.interactions.0.id": "q1", "cmi.interactions.1.id": "q2"},
        ["cmi.core.exit=suspend", "cmi.interactions.0.id=q1", "cmi.interactions.1.id=q2"],
        {
            "successStatus": "unknown",
            "runtimeData": {
                "cmi": {"core": {"exit": "suspend"}, "interactions": [{"id": "q1"}, {"id": "q2"}]}
            },
        },
        {"core": {"exit": "suspend"}, "interactions": [{"id": "q1"}, {"id": "q2"}]},
    ],
    ids=["json", "flattened", "params", "common-fields", "bare"],
)
def test_player_cmi_normalise_commit_formats(body: Any) -> None:
    assert normalise_commit(body) == {
        "core": {"exit": "suspend"},
        "interactions": [{"id": "q1"}, {"id": "q2"}],
    }


def test_player_cmi_normalise_commit_keeps_empty_arrays() -> None:
    tree = normalise_commit(
        {"cmi.comments_from_lms": {}, "cmi.interactions.0.objectives": {}, "cmi.exit": ""}
    )
    assert tree == {"comments_from_lms": {}, "interactions": [{"objectives": {}}], "exit": ""}


@pytest.mark.parametrize("body", ["text", 42, ["no-equals"], {"cmi": "x"}])
def test_player_cmi_normalise_commit_malformed(body: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        normalise_commit(body)
