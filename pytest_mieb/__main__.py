"""`python -m pytest_mieb`: the command line lives in `pytest_mieb.cli`."""

import sys

from pytest_mieb.cli import main

if __name__ == "__main__":
    sys.exit(main())
