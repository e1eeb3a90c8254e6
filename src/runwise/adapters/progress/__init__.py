"""Progress of long reads on a terminal."""

from __future__ import annotations

from runwise.adapters.progress.terminal import TerminalReadProgress

__all__ = ["TerminalReadProgress"]
