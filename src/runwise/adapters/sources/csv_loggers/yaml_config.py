"""Config files beside CSV logs (Lightning's `hparams.yaml`, Ultralytics' `args.yaml`), read safely.

YAML is a superset of JSON, so a `config.json` beside a Keras log goes through the same reader.

PyYAML's safe loader builds only plain values, so a file cannot run code. Lightning also writes
Python-specific tags (`!!python/object/apply:...` for a namespace, a dtype or a tuple) that the safe
loader refuses; those become their plain mapping, list or text instead of failing the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

MAX_BYTES = 4 << 20


class _PlainLoader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that reads unknown tags as the plain node they decorate."""


def _plain(loader: _PlainLoader, _suffix: str, node: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_PlainLoader.add_multi_constructor("", _plain)


def read_config(path: Path) -> tuple[dict[str, Any], str | None]:
    """(config, problem): an empty config and one sentence when the file cannot be read as a mapping."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}, f"{path.name} is larger than {MAX_BYTES >> 20} MB; not read as config"
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return {}, f"cannot read {path.name} ({exc.strerror})"
    try:
        data = yaml.load(text, Loader=_PlainLoader)  # a SafeLoader subclass: plain values only
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        return {}, f"{path.name} is not valid YAML ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"{path.name} does not hold a mapping of settings"
    return {str(k): v for k, v in data.items()}, None
