"""QueryError: a query rejected with the column it went wrong at and a caret under it."""

from __future__ import annotations

from runwise.domain.errors import InvalidInput
from runwise.domain.hints import PLAIN, Text, Wording, say

_WINDOW = 60  # characters of the query shown around the caret, so the error stays short


class QueryError(InvalidInput):
    """A query that cannot be parsed or evaluated; `str()` is the one-line reason plus a caret line.

    `position` is the 0-based offset of the offending character, `column` the 1-based column shown.
    """

    def __init__(self, reason: Text, text: str = "", position: int = 0, hint: Text | None = None) -> None:
        position = max(0, min(position, len(text)))
        self.reason = reason
        self.text = text
        self.position = position
        self.column = position + 1
        self.snippet = _caret(text, position) if text else ""
        super().__init__(say(f"query error at column {self.column}: ", reason), hint)

    def words(self, wording: Wording) -> str:
        """The reason, then the query with a caret under the column (two more lines)."""
        head = self.head(wording)
        return f"{head}\n{self.snippet}" if self.snippet else head

    def head(self, wording: Wording) -> str:
        """The one-line reason, without the caret lines."""
        return super().words(wording)

    def __str__(self) -> str:
        return self.words(PLAIN)


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
