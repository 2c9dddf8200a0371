"""`python -m mindgan.generate`: the command line is mindgan/cli/generate.py; this file keeps the documented command."""
import sys

from .cli.generate import main

if __name__ == "__main__":
    sys.exit(main())
