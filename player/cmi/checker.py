"""Collecting the problems of one committed tree, element by element and array by array."""

from __future__ import annotations

from typing import Any

from player.cmi.rules import ruleset
from player.cmi.tree import listify
from player.cmi.values import SCORM12, CmiProblem, as_text, is_blank


class Checker:
    """Collects problems for one tree.

    The value rules come from player.cmi.rules; the structure (arrays, dependencies,
    unique ids, response formats) from the code below.
    """

    def __init__(
        self, version: str, text_cap: int, array_cap: int, edition: str | None = None
    ) -> None:
        self.version = version
        self.rules = ruleset(version, edition)
        self.text_cap = text_cap
        self.array_cap = array_cap
        self.problems: list[CmiProblem] = []
        self.type_code = self.rules.type_code
        self.undefined_code = 401
        #: An array index past ``_count``: 1.2 answers 201 (invalid argument), 2004 351.
        self.set_failure_code = 201 if version == SCORM12 else 351

    def add(self, path: str, code: int, message: str) -> None:
        """One problem at ``path``."""
        self.problems.append(CmiProblem(path, code, message))

    def leaf(self, path: str, value: Any) -> str | None:
        """Check one element's value by its rule; return it as text when it passes."""
        problem = self.rules.check(path, value, text_cap=self.text_cap)
        if problem is not None:
            self.add(path, *problem)
            return None
        return None if value is None else as_text(value)

    def string(self, path: str, value: Any, spm: int) -> str | None:
        """A characterstring outside the CMI tables (``adl.data.n.store``)."""
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(path, self.type_code, "must be a string")
            return None
        text = as_text(value)
        limit = max(self.text_cap, spm)
        if len(text) > limit:
            self.add(path, self.type_code, f"{len(text)} characters is over the cap of {limit}")
            return None
        return text

    def required_id(self, path: str, value: Any) -> None:
        """An array entry's id must be set (its value is checked with the entry's group)."""
        if is_blank(value):
            self.add(path, self.type_code, "identifier must not be empty")

    def group(self, path: str, value: Any) -> dict[str, Any]:
        """A parent element (``cmi.core``, an array entry...): an object, its leaves checked.

        Names the version does not define are 401; keywords (``_count``...) are skipped.
        """
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            self.add(path, self.type_code, "must be an object")
            return {}
        children = self.rules.children(path)
        for key, child in value.items():
            if key.startswith("_"):
                continue  # _version, _count, _children: keywords, not data
            if key not in children:
                self.add(f"{path}.{key}", self.undefined_code, "undefined data model element")
            elif self.rules.rule(f"{path}.{key}") is not None:
                self.leaf(f"{path}.{key}", child)
        return value

    def array(self, path: str, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """Entries of an array element (list), checking shape, gaps and the cap."""
        if value is None or value == {} or value == []:
            return []
        if isinstance(value, dict):
            try:
                value = listify(value)
            except ValueError:
                value = None
            if isinstance(value, dict):
                self.add(path, self.type_code, "must be an array")
                return []
        if not isinstance(value, list):
            self.add(path, self.type_code, "must be an array")
            return []
        if len(value) > self.array_cap:
            self.add(path, self.set_failure_code, f"more than {self.array_cap} entries")
            return []
        entries: list[tuple[int, dict[str, Any]]] = []
        for index, item in enumerate(value):
            if item is None:
                # Arrays grow one index at a time (an index may be at most _count); a hole means an
                # out-of-order creation, which the API refuses with 351 (201 in 1.2).
                self.add(f"{path}.{index}", self.set_failure_code, "array has a gap")
            elif not isinstance(item, dict):
                self.add(f"{path}.{index}", self.type_code, "array entries must be objects")
            else:
                entries.append((index, item))
        return entries

    def entries(self, path: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
        """An array's entries as groups (their leaves checked): ``(path, entry)``."""
        return [(f"{path}.{i}", self.group(f"{path}.{i}", e)) for i, e in self.array(path, value)]
