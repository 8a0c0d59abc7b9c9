"""`python -m lenet`: the command line (lenet/cli.py)."""

import sys

from lenet.cli import main

if __name__ == "__main__":  # not when a spawned helper process imports it (lenet.serve.outlier_bank)
    sys.exit(main())
