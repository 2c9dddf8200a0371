"""The command lines: one module per `python -m mindgan.X` (mindgan/X.py only forwards here), each parsing
arguments, calling the library and printing. This file holds the argument groups they share:
--model/--config/--data/--device and one flag per recipe key."""
from __future__ import annotations

import argparse

from .. import config
from ..errors import MindganError
from ..device import DEVICES


def add_device_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", type=str, metavar="{" + ",".join(DEVICES) + "}",
                        help="where to run: Ascend, GPU, CPU, or auto (the first that initialises; default)")


def add_truncation_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truncation", type=float, default=None,
                        help="redraw noise components beyond +-T, the truncation trick (default: the run's "
                             "recipe, e.g. 2.0 for cgan; 0 = plain normal noise): more faithful, less varied")


def check_truncation(value) -> None:
    """--truncation within the recipe key's range (NaN fails too), before MindSpore loads."""
    key = config.SCHEMA["truncation"]
    if value is not None and not key.min <= value <= key.max:
        raise MindganError(f"--truncation must be between {key.min:g} (off) and {key.max:g}, got {value}; 2.0 is a "
                           f"usual choice")


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """--model/--config/--data plus one flag per config key."""
    parser.add_argument("--model", default=None, help="model name (see --list-models); default: the config's")
    parser.add_argument("--config", default=None, help="YAML recipe; default: the model's recipe in configs/")
    parser.add_argument("--data", default=None, help="data source name, a folder, or auto")
    add_device_arg(parser)
    config.add_override_args(parser)


def overrides(args) -> dict:
    """The recipe keys the command line sets (flags, --set, --data)."""
    over = config.overrides_from_args(args)
    if args.data is not None:
        over["data"] = args.data
    return over


def config_from_args(args) -> dict:
    return config.load(model=args.model, path=args.config, overrides=overrides(args))
