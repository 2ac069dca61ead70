"""Problems found while checking an upload, and the exception that refuses it.

Pure Python (no Flask), shared by ``extract`` and ``manifest``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding: the file it is in, the line for XML files, and a readable message."""

    file: str | None
    line: int | None
    message: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by the CLI and the API (without the severity)."""
        data = asdict(self)
        del data["severity"]
        return data


@dataclass
class Report:
    """Problems collected while checking one package."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Record a problem that refuses the package."""
        self.problems.append(Problem(file, line, message, "error"))

    def warn(self, message: str, file: str | None = None, line: int | None = None) -> None:
        """Record a problem shown to the author; the package is still imported."""
        self.problems.append(Problem(file, line, message, "warning"))

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
