"""One module per source adapter. Each writes RunSpecs with the real library and returns a RunSource.

A seeder module defines:
- `NAME`: the source's name ("jsonl", "tensorboard", "wandb", ...)
- `seed(specs, tmp_path) -> Seeded`: write every spec as a real run under tmp_path
- optionally `seed_empty(tmp_path) -> RunSource`: a run whose log holds no records
- optionally `truncate_tail(seeded, spec_name) -> None`: cut the last record of a run in half
Adding a module here opts the adapter into the whole contract suite.
"""
