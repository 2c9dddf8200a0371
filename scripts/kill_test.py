"""Kill a real training run with SIGKILL at random moments, resume it each time, then check nothing was lost.

    python scripts/kill_test.py --kills 20            # the figures in the README
    python scripts/kill_test.py --kills 3 --epochs 4  # a quick look

Each round starts `python -m mindgan.train` (resuming after the first), waits a random time, and kills it
with SIGKILL. At the end the run is resumed to completion and checked: every checkpoint left on disk
loads (CRC and sha256), losses.csv holds every step exactly once, and the final epoch was reached.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def tiny_digits(folder: Path, n: int = 512) -> None:
    import numpy as np

    from mindgan.data import idx

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 255, (n, 28, 28)).astype(np.uint8)
    idx.write_split(folder, "train", images, labels)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--data", default=None, help="data for the run (default: 512 random digits written here)")
    p.add_argument("--max-wait", type=float, default=12.0, help="longest wait before a kill, seconds")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="mindgan_kill_"))
    data = args.data or str(work / "digits")
    if args.data is None:
        tiny_digits(Path(data))
    out = work / "run"
    cmd = [sys.executable, "-m", "mindgan.train", "--model", "gan", "--data", data, "--out", str(out),
           "--epochs", str(args.epochs), "--batch-size", "32", "--ckpt-every", "1", "--keep-checkpoint-max", "2",
           "--no-progress"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    kills = early = 0
    for k in range(args.kills):
        # resume once a checkpoint exists; a run killed before its first one is started again
        has_ckpt = any((out / "checkpoints").glob("*.ckpt")) if out.exists() else False
        run = cmd + (["--resume"] if has_ckpt else ["--overwrite"] if out.exists() else [])
        proc = subprocess.Popen(run, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait = rnd.uniform(1.0, args.max_wait)
        time.sleep(wait)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            early += 1  # it finished (or failed) before the kill
            if proc.returncode != 0:
                print(f"round {k}: the run failed on its own:\n{proc.stderr.read().decode()}")
                return 1
        print(f"round {k + 1:2d}: {'killed' if proc.returncode == -9 else 'ended'} after {wait:4.1f}s")
    if kills == 0:
        print("no round was killed (each ended before its kill): nothing was tested; raise --epochs or lower --max-wait")
        return 1
    final = subprocess.run(cmd + ["--resume"], cwd=REPO, env=env, capture_output=True, text=True)
    if final.returncode != 0:
        print(final.stderr)
        return 1

    from mindgan import checkpoint

    ckpts = sorted((out / "checkpoints").glob("*.ckpt"))
    leftovers = [p for p in (out / "checkpoints").iterdir() if ".tmp" in p.name]
    bad = [c for c in ckpts if not checkpoint.is_complete(c)]
    for c in ckpts:
        checkpoint.load_params(c)  # raises if the CRC fails
    with open(out / "losses.csv") as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]
    per_epoch = 512 // 32
    ok = (steps == list(range(1, args.epochs * per_epoch + 1)) and not bad
          and int(rows[-1]["epoch"]) == args.epochs)
    print(f"kills survived: {kills} of {args.kills} rounds ({early} ended before their kill)")
    print(f"checkpoints on disk: {len(ckpts)}, damaged: {len(bad)}, temp files left by kills: {len(leftovers)}")
    print(f"losses.csv: {len(steps)} rows, steps 1..{max(steps)} each once: "
          f"{steps == list(range(1, max(steps) + 1))}; final epoch {rows[-1]['epoch']} of {args.epochs}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
