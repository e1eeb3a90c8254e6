"""QueryError: a query rejected with the column it went wrong at and a caret under it."""

from __future__ import annotations

from runwise.domain.errors import InvalidInput

_WINDOW = 60  # characters of the query shown around the caret, so the error stays short


class QueryError(InvalidInput):
    """A query that cannot be parsed or evaluated; `str()` is the one-line reason plus a caret line.

    `position` is the 0-based offset of the offending character, `column` the 1-based column shown.
    """

    def __init__(self, reason: str, text: str = "", position: int = 0, hint: str | None = None) -> None:
        position = max(0, min(position, len(text)))
        self.reason = reason
        self.text = text
        self.position = position
        self.column = position + 1
        super().__init__(f"query error at column {self.column}: {reason}", hint)
        self.snippet = _caret(text, position) if text else ""

    def __str__(self) -> str:
        head = f"{self.message} — {self.hint}" if self.hint else self.message
        return f"{head}\n{self.snippet}" if self.snippet else head


def _caret(text: str, position: int) -> str:
    """Two lines: the query (a window of it when long) and a caret under the offending column."""
    start = max(0, position - _WINDOW // 2)
    end = min(len(text), start + _WINDOW)
    start = max(0, min(start, end - _WINDOW))
    shown = text[start:end]
    # control characters would break the caret alignment (and the terminal); show them as '?'
    shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + position - start)}^"
