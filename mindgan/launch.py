"""`python -m mindgan.launch`: the command line is mindgan/cli/launch.py; this file keeps the documented command."""
import sys

from .cli.launch import main

if __name__ == "__main__":
    sys.exit(main())
