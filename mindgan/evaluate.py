"""`python -m mindgan.evaluate`: the command line is mindgan/cli/evaluate.py; this file keeps the documented command."""
import sys

from .cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
