"""Problems found while checking an upload, and the exception that refuses it.

Pure Python (no Flask), shared by ``extract`` and ``manifest``.  A problem's ``text`` is
a catalogue text (marked with ``N_``, so ``scripts/translations.sh`` extracts it) whose
``%(name)s`` fields come from ``params``: the portal shows it in the user's language
(``portal.i18n.problem_message``); ``message`` is the English sentence the CLI and the
JSON API give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
#: A value of a problem's text: a name from the package, or a number.
Param = str | int | float


@dataclass(frozen=True)
class Problem:
    """One finding: the file it is in, the line for XML files, and what is wrong."""

    file: str | None
    line: int | None
    text: str
    severity: Severity = "error"
    params: Mapping[str, Param] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The English sentence: ``text`` with its values."""
        return self.text % dict(self.params) if self.params else self.text

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI, the API and stored warnings (without the severity).

        ``text`` and ``params`` come along when the text has values, so the portal can
        show a stored warning in the user's language; otherwise ``message`` is the text.
        """
        data: dict[str, Any] = {"file": self.file, "line": self.line, "message": self.message}
        if self.params:
            data["text"] = self.text
            data["params"] = dict(self.params)
        return data


@dataclass
class Report:
    """Problems collected while checking one package."""

    problems: list[Problem] = field(default_factory=list)

    def error(
        self, text: str, file: str | None = None, line: int | None = None, **params: Param
    ) -> None:
        """Record a problem that refuses the package (``text`` marked ``N_``)."""
        self.problems.append(Problem(file, line, text, "error", params))

    def warn(
        self, text: str, file: str | None = None, line: int | None = None, **params: Param
    ) -> None:
        """Record a problem shown to the author; the package is still imported."""
        self.problems.append(Problem(file, line, text, "warning", params))

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the package."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that are only shown."""
        return [p for p in self.problems if p.severity == "warning"]


class PackageRefused(Exception):
    """The upload is not imported; ``errors`` say why, ``warnings`` what else was seen."""

    def __init__(self, errors: list[Problem], warnings: list[Problem] | None = None) -> None:
        super().__init__("; ".join(p.message for p in errors) or "package refused")
        self.errors = errors
        self.warnings = warnings or []
