"""SCORM 1.2 validation: the structure of a committed tree (RTE §3.4.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from player.cmi.checker import Checker


def validate_12(c: Checker, cmi: Mapping[str, Any]) -> None:
    """SCORM 1.2 RTE §3.4.2: every element's value, the arrays and their ids."""
    c.group("cmi", cmi)
    core = c.group("cmi.core", cmi.get("core"))
    c.group("cmi.core.score", core.get("score"))
    c.group("cmi.student_data", cmi.get("student_data"))
    c.group("cmi.student_preference", cmi.get("student_preference"))
    for path, obj in c.entries("cmi.objectives", cmi.get("objectives")):
        c.required_id(f"{path}.id", obj.get("id"))
        c.group(f"{path}.score", obj.get("score"))
    for path, item in c.entries("cmi.interactions", cmi.get("interactions")):
        c.required_id(f"{path}.id", item.get("id"))
        for ref_path, ref in c.entries(f"{path}.objectives", item.get("objectives")):
            c.required_id(f"{ref_path}.id", ref.get("id"))
        c.entries(f"{path}.correct_responses", item.get("correct_responses"))
