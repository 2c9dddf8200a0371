"""`python -m mindgan.data`: the command line is mindgan/cli/data.py; this file keeps the documented command."""
import sys

from ..cli.data import main

if __name__ == "__main__":
    sys.exit(main())
