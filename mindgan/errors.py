"""One exception type for mistakes a user can fix; entry points print it as one line."""
import functools
import sys


class MindganError(Exception):
    """A problem with the user's input or machine, with the fix in the message."""


def cli_entry(main):
    """Wrap a CLI main(): MindganError becomes `error: ...` on stderr and exit status 2."""

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except MindganError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            sys.exit(130)

    return wrapper
