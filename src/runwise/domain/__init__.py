"""Pure training-run logic: numpy and attrs only, no I/O."""
