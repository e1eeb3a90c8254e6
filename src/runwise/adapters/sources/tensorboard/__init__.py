"""TensorBoard source: every scalar point of `*tfevents*` files, read without TensorFlow or TensorBoard.

What is read
- Scalars in both encodings: `Summary.Value.simple_value` (PyTorch SummaryWriter, tensorboardX) and
  rank-0 tensors of the `scalars` plugin (TF2 `tf.summary.scalar`, `tensorboard.summary.Writer`,
  Keras), whose plugin is named only on a tag's first value. Every point, no reservoir sampling.
- hparams plugin values (`session_start_info`) become the run's config.
- Text, histograms, images, audio and other tensors are listed by tag in `Run.summary["_non_series"]`;
  they are not series.

Runs and layouts (`TensorBoardRunSource(root, layout=...)`)
- Each folder holding `*tfevents*` files is a run; its id is the folder relative to the discovery
  root. Several files in one folder (a restart, a second writer) are merged: a step written twice keeps
  its later write, and a `SessionLog.START` at step N (PyTorch/tensorboardX `purge_step`) drops earlier
  points at step >= N, as TensorBoard does.
- `add_hparams` (PyTorch, tensorboardX) puts hyperparameters into a child folder named by a Unix time;
  that child is read as part of its parent run, not as a run of its own.
- `layout` says what to do with split folders named train/training/validation/valid/val/eval/
  evaluation/test/testing (Keras writes `logs/<exp>/train` and `logs/<exp>/validation`):
  - "auto" (default): merge them into their parent as ONE run with prefixed keys (`train/epoch_loss`,
    `validation/epoch_loss`) when the parent has two or more split folders or has event files itself
    (an Estimator model_dir and its `eval/`). A lone `train/` folder stays a run of its own. Merging
    is the default because a summary of train against validation is what shows overfitting.
  - "splits": always merge split folders into their parent, even a lone one.
  - "folders": never merge; every event folder (hparams children too) is its own run, as in
    TensorBoard's run selector.

Damage
- A truncated or still-growing last record is left out and reported; a record whose checksum fails
  is skipped and reported in `Run.warnings`, and reading goes on after it (TensorBoard stops there).
- Every checksum is verified: length and payload CRC32C, computed with numpy over all records at
  once (crc32c.py), so verifying costs ~20 ms per 100k-step file rather than seconds.

State: "running" when an event file was written within the last 120 s, else "unknown" (event files
have no exit record). created_at/updated_at are the first and last event wall times.
"""

from runwise.adapters.sources.tensorboard.discovery import LAYOUTS
from runwise.adapters.sources.tensorboard.source import TensorBoardRunSource

__all__ = ["LAYOUTS", "TensorBoardRunSource"]
