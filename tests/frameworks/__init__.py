"""Runs written by the real training frameworks, once per test session, for any test that needs them.

`framework_runs("hf")` (or "lightning", "keras") starts `python -m tests.frameworks.<name> OUT` in a
child process the first time it is asked for and returns OUT on every later call. The child imports
the framework (slow: seconds), trains tiny models and writes runs the way users get them:

- `OUT/contract/<spec name>/...`: the contract suite's standard runs (tests/contract/spec.py), logged
  through the framework's own logging API so the values are exact;
- `OUT/empty/...`: a run whose log holds no metric;
- `OUT/trained/...`: real training of tiny, randomly initialised models (a few epochs, CPU), written
  by the framework itself: a healthy run and one with a learning rate far too high.

Children run with the network closed (offline flags, caches in the session folder) and with their
own warnings, so the test process keeps pytest's warnings-as-errors and never imports the frameworks.
"""

from tests.frameworks.session import framework_runs

__all__ = ["framework_runs"]
