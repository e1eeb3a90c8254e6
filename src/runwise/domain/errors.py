"""Errors every layer understands; each carries one sentence a user can act on.

The message and the hint may be `Phrase`s (see domain.hints): they point at parameters and
capabilities by name, and each interface spells them its own way with `words(wording)`.
"""

from __future__ import annotations

from runwise.domain.hints import PLAIN, Text, Wording, spell


class RunwiseError(Exception):
    """Base error: `str(exc)` is one line saying what is wrong and what to do (in the API's words)."""

    def __init__(self, message: Text, hint: Text | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.words(PLAIN))

    def words(self, wording: Wording) -> str:
        """The error as one line in an interface's words."""
        message = spell(self.message, wording)
        return f"{message} — {spell(self.hint, wording)}" if self.hint else message


class RunNotFound(RunwiseError):
    """No run matches a reference."""


class AmbiguousRun(RunwiseError):
    """A reference matches several runs."""


class MetricNotFound(RunwiseError):
    """A metric key is not logged in the run."""


class InvalidInput(RunwiseError):
    """Arguments or files the user gave are not usable."""


class ConfigError(RunwiseError):
    """A configuration or schema file is invalid."""


class MissingExtra(RunwiseError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package",
            f"install it with: pip install 'runwise[{extra}]'",
        )


class AccessDenied(RunwiseError):
    """A path lies outside the allowed roots."""


class UnreadableStore(RunwiseError):
    """Nothing readable was found, but data of a tracker Runwise cannot read (yet) was."""
