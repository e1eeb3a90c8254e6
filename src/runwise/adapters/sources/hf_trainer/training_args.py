"""The Trainer's `training_args.bin` read without torch and without running any of its code.

The Trainer saves its `TrainingArguments` with `torch.save`: a zip archive holding one pickle. A
pickle can name any callable, so it is never unpickled as such: every class it names becomes an
inert record of the arguments and state it was built with (a dataclass becomes its field dict, an
enum its value), and the only callables ever invoked are a few harmless builtins. This reads the
learning rate, batch sizes, schedule and seed that `trainer_state.json` does not hold.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

MAX_PICKLE_BYTES = 8 << 20
_SAFE_CALLABLES: dict[tuple[str, str], Any] = {
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "tuple"): tuple,
    ("builtins", "list"): list,
    ("builtins", "dict"): dict,
    ("collections", "OrderedDict"): collections.OrderedDict,
}
_SCALARS = (str, int, float, bool, type(None))


class _Record:
    """Stands in for any class the pickle names: keeps the arguments and state, runs nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.state: Any = kwargs or None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:  # a dict subclass being filled
        if not isinstance(self.state, dict):
            self.state = {}
        self.state[key] = value


def _reconstruct(cls: Any, _base: Any = None, _state: Any = None) -> Any:
    """`copyreg._reconstructor`: the object is a record of its class, whatever the class."""
    return cls() if isinstance(cls, type) and issubclass(cls, _Record) else _Record()


class _InertUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_CALLABLES:
            return _SAFE_CALLABLES[(module, name)]
        if (module, name) == ("copyreg", "_reconstructor"):
            return _reconstruct
        return type(name, (_Record,), {})

    def persistent_load(self, pid: Any) -> Any:  # tensors' storages: not read
        return None


def _plain(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return None
    if isinstance(value, _Record):
        if isinstance(value.state, dict):
            return {str(k): _plain(v, depth + 1) for k, v in value.state.items()}
        if len(value.args) == 1 and isinstance(value.args[0], _SCALARS):
            return value.args[0]  # an enum member (IntervalStrategy('steps')) or a device ('cpu')
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, depth + 1) for v in value]
    return value if isinstance(value, _SCALARS) else None


def read_training_args(path: Path) -> dict[str, Any]:
    """The public settings of a saved TrainingArguments ({} when the file is not one): secrets left out."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("data.pkl")]
            if len(names) != 1 or archive.getinfo(names[0]).file_size > MAX_PICKLE_BYTES:
                return {}
            data = archive.read(names[0])
        obj = _InertUnpickler(io.BytesIO(data)).load()
    except Exception:  # any damage to an untrusted file means "no training args", never a failure
        return {}
    fields = _plain(obj)
    if not isinstance(fields, dict):
        return {}
    return {
        key: value
        for key, value in fields.items()
        if not key.startswith("_") and "token" not in key and isinstance(value, (*_SCALARS, list))
    }
