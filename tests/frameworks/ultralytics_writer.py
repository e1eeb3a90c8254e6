"""Child process: writes Ultralytics training folders in the release's exact format (see ultralytics_format).

Ultralytics cannot train here (see tests/frameworks/ultralytics_format.py), so the "trained" runs
are detection runs whose numbers follow a typical small run: a healthy one in the current format and
one in the 8.0.x padded format whose validation losses turn upward (overfitting) after epoch 6.
Usage: python -m tests.frameworks.ultralytics_writer OUT
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from tests.frameworks.ultralytics_format import write_detect_run


def _rows(epochs: int, *, overfit_from: int | None = None) -> list[dict[str, float]]:
    rows = []
    for e in range(epochs):
        decay = math.exp(-e / 4)
        late = max(0, e - overfit_from) if overfit_from is not None else 0
        rows.append(
            {
                "train/box_loss": 1.2 + 0.8 * decay, "train/cls_loss": 0.9 + 2.4 * decay, "train/dfl_loss": 1.0 + 0.4 * decay,
                "metrics/precision(B)": 0.82 - 0.6 * decay, "metrics/recall(B)": 0.75 - 0.5 * decay,
                "metrics/mAP50(B)": 0.78 - 0.6 * decay - 0.03 * late, "metrics/mAP50-95(B)": 0.52 - 0.4 * decay - 0.02 * late,
                "val/box_loss": 1.3 + 0.7 * decay + 0.12 * late, "val/cls_loss": 1.0 + 2.0 * decay + 0.2 * late,
                "val/dfl_loss": 1.1 + 0.3 * decay + 0.05 * late,
                "lr/pg0": 0.0033 * (1 - e / epochs), "lr/pg1": 0.0033 * (1 - e / epochs), "lr/pg2": 0.0033 * (1 - e / epochs),
            }
        )  # fmt: skip
    return rows


def main(out: Path) -> None:
    detect = out / "trained" / "runs" / "detect"
    write_detect_run(detect / "train", _rows(12), model="yolov8n.yaml")
    write_detect_run(detect / "train2", _rows(14, overfit_from=6), legacy=True, model="yolov8s.yaml", lr0=0.02)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
