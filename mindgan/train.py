"""`python -m mindgan.train`: the command line is mindgan/cli/train.py; this file keeps the documented command."""
import sys

from .cli.train import main

if __name__ == "__main__":
    sys.exit(main())
