"""One `__repr__` for every attrs class of Runwise, where attrs would compile one per class.

attrs writes each class's methods as Python source and compiles it when the class is created, in every process;
the `__repr__` is about a third of that text. A cold `runwise run` creates ~80 such classes before it reads a
byte: with this shared `__repr__` it runs 94 M fewer instructions (`python bench/bench_env.py --instructions`, the
example runs: 1,559 M -> 1,462 M). A class opts in with `__repr__ = fields_repr` in its body: attrs then sees a
`__repr__` of the class's own and writes none (its `auto_detect`). tests/unit/domain/test_shared_repr.py checks
that every attrs class does, and that the text is attrs' own.
"""

from __future__ import annotations

from typing import Any

import attrs


def fields_repr(self: Any) -> str:
    """`Name(field=value, ...)` over the fields attrs would show, as attrs' generated `__repr__` writes it."""
    cls: Any = type(self)
    shown = []
    for field in attrs.fields(cls):
        if field.repr is False:
            continue
        value = getattr(self, field.name)
        text = field.repr(value) if callable(field.repr) else repr(value)
        shown.append(f"{field.name}={text}")
    return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({', '.join(shown)})"
