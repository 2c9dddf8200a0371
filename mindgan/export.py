"""`python -m mindgan.export`: the command line is mindgan/cli/export.py; this file keeps the documented command."""
import sys

from .cli.export import main

if __name__ == "__main__":
    sys.exit(main())
