"""Interface-neutral words for "what to pass" and "what to call next".

The core never spells a CLI flag, a CLI command or an MCP tool name: those belong to the interface a
person or an assistant is using. A message or a hint that points somewhere is a `Phrase` made of
plain text and typed references:

- `Param("from_step", 90)`: a parameter of the current capability (CLI `--from 90`, MCP `from_step=90`);
- `Call("keys", run="REF")`: another capability (CLI `runwise keys REF`, MCP `list_keys(run="REF")`);
- `Setting("logs")`: where Runwise reads logs, a clause (CLI `point --dir ... at`, MCP the server's roots).
- `Setting("tracking_server")`: reading the runs of an MLflow tracking server (CLI `--dir URL`).

Each interface passes its own `Wording` to `Phrase.words`; `str()` uses the plain wording of the
Python API (parameter and capability names as they are).
"""

from __future__ import annotations

from typing import Protocol

import attrs

from runwise.domain.shared_repr import fields_repr

NO_VALUE: object = object()


@attrs.frozen
class Param:
    """A parameter of the capability being used, optionally with the value to pass."""

    __repr__ = fields_repr

    name: str
    value: object = NO_VALUE

    @property
    def has_value(self) -> bool:
        return self.value is not NO_VALUE


@attrs.frozen
class Call:
    """Another capability to call, with the arguments worth passing."""

    __repr__ = fields_repr

    capability: str
    args: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, capability: str, **args: object) -> Call:
        return cls(capability, tuple(args.items()))


@attrs.frozen
class Setting:
    """A setting of how Runwise was started (where logs are read from), not a parameter of a call."""

    __repr__ = fields_repr

    name: str


class Wording(Protocol):
    """How one interface spells parameters, capabilities and settings."""

    def param(self, ref: Param) -> str: ...

    def call(self, ref: Call) -> str: ...

    def setting(self, ref: Setting) -> str: ...


class PlainWording:
    """The Python API's words: parameter and capability names as declared."""

    def param(self, ref: Param) -> str:
        return f"{ref.name}={ref.value!r}" if ref.has_value else ref.name

    def call(self, ref: Call) -> str:
        return f"{ref.capability}(" + ", ".join(f"{k}={v!r}" for k, v in ref.args) + ")"

    def setting(self, ref: Setting) -> str:
        return {
            "logs": "pass dir= a folder with training logs",
            "tracking_server": "pass dir= the server's URL",
        }.get(ref.name, ref.name)


PLAIN = PlainWording()


@attrs.frozen
class Phrase:
    """Text with typed references, spelled by a `Wording` only when shown."""

    __repr__ = fields_repr

    parts: tuple[str | Param | Call | Setting | Phrase, ...]

    def words(self, wording: Wording) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, Param):
                out.append(wording.param(part))
            elif isinstance(part, Call):
                out.append(wording.call(part))
            elif isinstance(part, Setting):
                out.append(wording.setting(part))
            elif isinstance(part, Phrase):
                out.append(part.words(wording))
            else:
                out.append(part)
        return "".join(out)

    def __str__(self) -> str:
        return self.words(PLAIN)

    def __add__(self, other: Phrase | str) -> Phrase:
        return Phrase(self.parts + (other.parts if isinstance(other, Phrase) else (other,)))


def say(*parts: str | Param | Call | Setting | Phrase) -> Phrase:
    """`say("list them with ", Call.of("keys", run=ref))`."""
    return Phrase(tuple(parts))


Text = str | Phrase


def spell(text: Text | None, wording: Wording = PLAIN) -> str:
    """A string or a Phrase in an interface's words ('' for None)."""
    if text is None:
        return ""
    return text.words(wording) if isinstance(text, Phrase) else text


# The hints several places give, written once.
def list_keys_hint(ref: str = "REF") -> Phrase:
    return say("list keys with ", Call.of("keys", run=ref))


def list_runs_hint() -> Phrase:
    return say("list runs with ", Call.of("list"))


def no_logs_hint() -> Phrase:
    return say(Setting("logs"))
