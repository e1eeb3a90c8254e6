"""Errors every layer understands; each carries one sentence a user can act on."""

from __future__ import annotations


class RunwiseError(Exception):
    """Base error: `str(exc)` is one line saying what is wrong and what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} — {hint}" if hint else message)


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
