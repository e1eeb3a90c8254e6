"""The documented line patterns of plain-text training logs, and nothing looser.

A metrics line is a counter followed by name/value pairs, and nothing else:

    iter 100: loss 4.2134, time 31.20ms, mfu 12.30%          (nanoGPT, every log interval)
    step 500: train loss 3.1000, val loss 3.3000             (nanoGPT, every evaluation)
    epoch 3: train_loss 0.41 | val_loss 0.52 | lr 3e-4
    step=1200 loss=0.52 lr=3.0e-04 grad_norm=1.1

- Counter: `iter`, `iteration`, `step` or `epoch` (any case), then the number, optionally `/TOTAL`,
  then `:`, `,`, `|` or a space. Text before the counter (a timestamp, a logger name) is allowed.
- Pairs: separated by `,`, `|` or `;` (or spaces when every pair is written `name=value`); a pair is
  `name value`, `name: value` or `name=value`. Names may hold spaces (`train loss` becomes
  `train_loss`), `/`, `.` and `-`. Values are numbers, `nan` or `inf`; a unit right after the number
  names the key: `ms` → `<name>_ms`, `s` → `<name>_s`, `%` → `<name>_pct`.
- A line with anything else after the counter (`step 500: saving checkpoint to out/`) is not a
  metrics line: a log matches only where it is unambiguous.
- nanoGPT's configurator lines, `Overriding: batch_size = 32`, are the run's config.
"""

from __future__ import annotations

import math
import re

_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf|infinity|Infinity)"
_NAME = r"[A-Za-z_][\w./-]*(?: [A-Za-z_][\w./-]*)*?"
COUNTER = re.compile(
    r"(?:^|(?<=[\s\]\[|:,-]))(?P<counter>iter|iteration|step|epoch)\s*[:=]?\s*(?P<n>\d+)(?:\s*/\s*\d+)?"
    r"(?:\s*[:,|]\s*|\s+)(?P<rest>.*)$",
    re.IGNORECASE,
)
_PAIR = re.compile(rf"(?P<name>{_NAME})\s*(?::\s*|=\s*|\s+)(?P<value>{_NUMBER})(?P<unit>ms|s|%)?")
_EQ_PAIR = re.compile(rf"(?P<name>[A-Za-z_][\w./-]*)(?:=|:)(?P<value>{_NUMBER})(?P<unit>ms|s|%)?")
_SEPARATORS = re.compile(r"\s*[,|;]\s*")
OVERRIDE = re.compile(r"^Overriding: (?P<key>[A-Za-z_]\w*) = (?P<value>.*?)\s*$")
_UNIT_SUFFIX = {"ms": "_ms", "s": "_s", "%": "_pct"}


def parse_line(line: str) -> tuple[str, int, dict[str, float]] | None:
    """(counter, number, values) of a metrics line; None for any other line."""
    match = COUNTER.search(line)
    if match is None:
        return None
    values = parse_pairs(match.group("rest"))
    if not values:
        return None
    return match.group("counter").lower(), int(match.group("n")), values


def parse_pairs(rest: str) -> dict[str, float] | None:
    """Every pair of the rest of a line, or None when anything in it is not a pair."""
    out: dict[str, float] = {}
    text = rest.strip().rstrip(".")
    if not text:
        return None
    for chunk in _SEPARATORS.split(text):
        if not chunk:
            continue
        match = _PAIR.fullmatch(chunk)
        if match is not None and not (" " in match.group("name") and "=" in chunk):
            _add(out, match.group("name"), match.group("value"), match.group("unit"))
            continue
        tokens = chunk.split()
        matches = [_EQ_PAIR.fullmatch(token) for token in tokens]
        if len(tokens) < 2 or any(m is None for m in matches):
            return None
        for m in matches:
            assert m is not None
            _add(out, m.group("name"), m.group("value"), m.group("unit"))
    return out or None


def _add(out: dict[str, float], name: str, value: str, unit: str | None) -> None:
    key = "_".join(name.split())
    if unit:
        key += _UNIT_SUFFIX[unit]
    try:
        number = float(value)
    except ValueError:  # pragma: no cover - the pattern admits only numbers
        number = math.nan
    out.setdefault(key, number)


def parse_override(line: str) -> tuple[str, object] | None:
    """nanoGPT's `Overriding: key = value` (the value as Python wrote it: a number, a bool, a quoted string)."""
    match = OVERRIDE.match(line)
    if match is None:
        return None
    raw = match.group("value")
    value: object = raw
    if raw in ("True", "False"):
        value = raw == "True"
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw.strip("'\"")
    return match.group("key"), value
