"""Built-in schema templates: packaged in the wheel, read from the repository in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from runwise.domain.errors import InvalidInput

_REPO_TEMPLATES = Path(__file__).resolve().parents[3] / "schemas" / "templates"


def _folder() -> Path | None:
    packaged = resources.files("runwise") / "schemas" / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return _REPO_TEMPLATES if _REPO_TEMPLATES.is_dir() else None


def template_names() -> list[str]:
    folder = _folder()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder else []


def read_template(name: str) -> str:
    """The template's TOML text; unknown names list the known ones."""
    folder = _folder()
    path = folder / f"{name}.toml" if folder else None
    if path is None or not path.is_file():
        raise InvalidInput(f"no schema template '{name}'", "choose one of: " + ", ".join(template_names()))
    return path.read_text(encoding="utf-8")
