"""`python -m mindgan.bench`: the command line is mindgan/cli/bench.py; this file keeps the documented command."""
import sys

from .cli.bench import main

if __name__ == "__main__":
    sys.exit(main())
