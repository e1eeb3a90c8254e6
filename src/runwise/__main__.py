"""`python -m runwise`: the CLI."""

import sys

from runwise.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main())
