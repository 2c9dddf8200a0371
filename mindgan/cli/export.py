"""`python -m mindgan.export --ckpt PATH --format MINDIR|ONNX|TUTORIAL`: a trained generator as one file.

MINDIR runs in MindSpore (`mindspore.load` + `nn.GraphCell`, MindSpore Lite, serving) and in
`python -m mindgan.generate --model-file`; ONNX runs in onnxruntime and other ONNX runtimes; TUTORIAL
writes a generator checkpoint with the parameter names of the MindSpore tutorials' own Generator classes.
A JSON file beside a MINDIR/ONNX export (FILE.json) says what to feed it and what comes out.
"""
from __future__ import annotations

import argparse

from .. import device
from ..errors import MindganError, cli_entry
from . import add_device_arg

FORMATS = ("MINDIR", "ONNX", "TUTORIAL")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True, help="a generator checkpoint (mindgan's, or the tutorials' with --model)")
    p.add_argument("--format", default="MINDIR", type=str.upper, metavar="{MINDIR,ONNX,TUTORIAL}",
                   help="MINDIR (default), ONNX, or TUTORIAL (a .ckpt with the tutorial Generator's names)")
    p.add_argument("--batch", type=int, default=None,
                   help="fix the batch size in the file (MINDIR default: any batch; ONNX default: 1, always fixed)")
    p.add_argument("--out", default=None, help="file to write (default: beside the checkpoint, same stem)")
    p.add_argument("--model", default=None, help="for a checkpoint without mindgan's .json: gan or dcgan")
    p.add_argument("--force", action="store_true", help="replace an --out file that mindgan did not write")
    add_device_arg(p)
    return p.parse_args(argv)


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    if args.format not in FORMATS:
        raise MindganError(f"--format {args.format}: use one of {', '.join(FORMATS)}")
    from ..exporting import export  # loads MindSpore: only once the arguments are checked

    device.setup(args.device)
    out = export(args.ckpt, args.format, args.batch, args.out, args.model, force=args.force)
    extra = "" if args.format == "TUTORIAL" else f" (metadata in {out.name}.json)"
    print(f"mindgan: wrote {out}{extra}")
    return 0

