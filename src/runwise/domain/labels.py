"""Display names for metric keys: what a reader sees in place of the key a run logged.

A schema's `display_names` map logged keys (`train/loss`) to the words a person uses ("Training loss").
Text and markdown output show the display name; structured output (JSON, MCP structured content) keeps
the logged key, so a program can pass it back. Prose made by the analysis (headlines, anomaly messages,
advice) names keys inside sentences, so it is relabelled by whole-key matches, never inside a longer
key (`loss` is not replaced inside `train/loss` or `loss.jsonl`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from runwise.domain.shared_repr import fields_repr

# a key starts and ends where no key character touches it; a trailing '.' ends a sentence, not a key
_BEFORE = r"(?<![\w/.\-])"
_AFTER = r"(?![\w/\-]|\.\w)"


def _plain(names: Mapping[str, str]) -> dict[str, str]:
    return dict(names)


def _pattern(names: Mapping[str, str]) -> re.Pattern[str] | None:
    keys = sorted((k for k, v in names.items() if k and v and k != v), key=len, reverse=True)
    if not keys:
        return None
    return re.compile(_BEFORE + "(" + "|".join(re.escape(k) for k in keys) + ")" + _AFTER)


@attrs.frozen
class KeyLabels:
    """Logged key → display name; keys without a display name show as logged."""

    __repr__ = fields_repr

    names: Mapping[str, str] = attrs.field(factory=dict, converter=_plain)
    _pattern: re.Pattern[str] | None = attrs.field(init=False, eq=False, repr=False)

    @_pattern.default
    def _compile(self) -> re.Pattern[str] | None:
        return _pattern(self.names)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, key: str) -> str:
        """The display name of one key (the key itself when it has none)."""
        return self.names.get(key) or key

    def prose(self, text: str) -> str:
        """A sentence with every whole logged key that has a display name replaced by it."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self.names[m.group(1)], text)


NO_LABELS = KeyLabels()
