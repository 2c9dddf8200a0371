"""Kill a real training run with SIGKILL at random moments, resume it each time, then check nothing was lost.

    python scripts/kill_test.py --kills 20            # the figures in the README
    python scripts/kill_test.py --kills 3 --epochs 4  # a quick look

Each round starts `python -m mindgan.train` (resuming after the first) and kills it with SIGKILL at a random
training step, read from the run's own losses.csv, plus a random fraction of a second so that kills also
land inside checkpoint saves. The script waits for events in the run folder, never for a number of seconds,
so a loaded machine only makes it slower: the first round is killed only after the run's first complete
checkpoint exists (so `--resume` always has one), and every round only after that process trained a step of
its own (a kill while the interpreter is still starting tests nothing and is not counted). At the end the
run is resumed to completion and checked: every checkpoint left on disk loads (CRC and sha256), losses.csv
holds every step exactly once, and the final epoch was reached.
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

BATCH = 32


def tiny_digits(folder: Path, n: int = 512) -> None:
    import numpy as np

    from mindgan.data import idx

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 255, (n, 28, 28)).astype(np.uint8)
    idx.write_split(folder, "train", images, labels)


def last_step(losses: Path) -> int:
    """The highest step among losses.csv's whole lines (0 when there is none); a line being written is skipped."""
    try:
        text = losses.read_text()
    except FileNotFoundError:
        return 0
    steps = [int(line.split(",")[1]) for line in text.split("\n")[1:-1] if line.count(",") == 3]
    return max(steps, default=0)


def has_complete_checkpoint(folder: Path) -> bool:
    from mindgan import checkpoint

    return folder.is_dir() and any(checkpoint.is_complete(p) for p in folder.glob("*.ckpt") if ".tmp" not in p.name)


def wait_for(proc: subprocess.Popen, ready, timeout: float) -> bool:
    """Poll until ready() or the process ends; True when ready() came first. A deadline only guards a hang."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready():
            return True
        if time.monotonic() > deadline:
            raise TimeoutError(f"no progress in {timeout:.0f}s")
        time.sleep(0.02)
    return False


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--data", default=None, help="MNIST-format data for the run (default: 512 random digits written here)")
    p.add_argument("--jitter", type=float, default=0.5, help="longest extra wait after the chosen step, seconds")
    p.add_argument("--hang-timeout", type=float, default=900.0, help="give up when a round makes no progress this long")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    from mindgan.data import idx

    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="mindgan_kill_"))
    data = Path(args.data) if args.data else work / "digits"
    if args.data is None:
        tiny_digits(data)
    per_epoch = idx.check_split(data, "train") // BATCH  # whole batches only (the pipeline drops the rest)
    total = args.epochs * per_epoch
    out = work / "run"
    losses, ckpts_dir = out / "losses.csv", out / "checkpoints"
    cmd = [sys.executable, "-m", "mindgan.train", "--model", "gan", "--data", str(data), "--out", str(out),
           "--epochs", str(args.epochs), "--batch-size", str(BATCH), "--ckpt-every", "1",
           "--keep-checkpoint-max", "2", "--no-progress"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # the steps after which the kills land: spread over the run after its first epoch (and checkpoint)
    if total - 1 - per_epoch < args.kills:
        print(f"{args.epochs} epochs of {per_epoch} steps leave too few steps for {args.kills} kills: raise --epochs")
        return 1
    targets = sorted(rnd.sample(range(per_epoch + 1, total), args.kills))
    kills = ended = 0
    for k, target in enumerate(targets):
        resume = has_complete_checkpoint(ckpts_dir)
        # past every step already logged: the kill lands after this process trained steps of its own
        target = max(target, last_step(losses) + 1)
        if target >= total:
            print(f"round {k + 1:2d}: the run is (nearly) done; no room for another kill: raise --epochs")
            break
        run = cmd + (["--resume"] if resume else ["--overwrite"] if out.exists() else [])
        proc = subprocess.Popen(run, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # round 1 also waits for the first complete checkpoint, so that the final --resume has one
            ready = wait_for(proc, lambda: last_step(losses) >= target and (resume or has_complete_checkpoint(ckpts_dir)),
                             args.hang_timeout)
        except TimeoutError as err:
            proc.kill()
            print(f"round {k + 1}: {err}:\n{proc.communicate()[1].decode()}")
            return 1
        if ready:
            time.sleep(rnd.uniform(0, args.jitter))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            print(f"round {k + 1:2d}: killed after step {target} (+ up to {args.jitter}s)")
        else:
            ended += 1
            if proc.returncode != 0:
                print(f"round {k + 1}: the run failed on its own:\n{proc.stderr.read().decode()}")
                return 1
            print(f"round {k + 1:2d}: ended before its kill")
    if kills == 0:
        print("no round was killed (each ended before its kill): nothing was tested; raise --epochs")
        return 1
    final = subprocess.run(cmd + ["--resume"], cwd=REPO, env=env, capture_output=True, text=True)
    if final.returncode != 0:
        print(final.stderr)
        return 1

    from mindgan import checkpoint

    ckpts = sorted(ckpts_dir.glob("*.ckpt"))
    leftovers = [p for p in ckpts_dir.iterdir() if ".tmp" in p.name]
    bad = [c for c in ckpts if not checkpoint.is_complete(c)]
    for c in ckpts:
        checkpoint.load_params(c)  # raises if the CRC fails
    with open(losses) as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]
    ok = steps == list(range(1, total + 1)) and not bad and int(rows[-1]["epoch"]) == args.epochs
    print(f"kills survived: {kills} of {args.kills} rounds ({ended} ended before their kill)")
    print(f"checkpoints on disk: {len(ckpts)}, damaged: {len(bad)}, temp files left by kills: {len(leftovers)}")
    print(f"losses.csv: {len(steps)} rows, steps 1..{total} each once: {steps == list(range(1, total + 1))}; "
          f"final epoch {rows[-1]['epoch']} of {args.epochs}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
