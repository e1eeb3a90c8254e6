"""`python -m runwise`: the CLI."""

from runwise.entrypoints.cli.console import run

if __name__ == "__main__":
    run()
