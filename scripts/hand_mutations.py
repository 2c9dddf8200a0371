"""Hand-made breaks of the MindSpore parts (losses, the update schedule, the models, the data pipelines):
apply each, run the fast tier, and report whether a test failed (killed) or not (survived).

    python scripts/hand_mutations.py                  # every break, the whole fast tier each
    python scripts/hand_mutations.py --only loss- -x  # the breaks whose name starts so; stop at a survivor

mutmut cannot judge these modules (a mutant of a jit-compiled graph needs a compile and a training run to
show), so each break here is one deliberate, plausible mistake: a flipped sign, a skipped step, a wrong
scaling. Each is applied to the file in this checkout and always put back (even on Ctrl-C, a kill's TERM or
a closed terminal); the tests run in a child process that imports this checkout's mindgan. docs/testing.md
lists the results.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAST = ["-m", "not subprocess and not trains"]


@dataclass
class Break:
    name: str
    file: str
    kind: str  # sign | skip | scale
    old: str
    new: str
    what: str


BREAKS = [
    # losses.py
    Break("loss-wgan-g-sign", "mindgan/losses.py", "sign",
          "        return wasserstein + self.gp_weight * self.gradient_penalty(d_apply, real, fake, labels, u)\n\n"
          "    def g_loss(self, d_apply, fake, labels):\n        return -d_apply(fake, labels).mean()",
          "        return wasserstein + self.gp_weight * self.gradient_penalty(d_apply, real, fake, labels, u)\n\n"
          "    def g_loss(self, d_apply, fake, labels):\n        return d_apply(fake, labels).mean()",
          "WGAN G loss with the sign flipped (G helps the critic)"),
    Break("loss-bce-skip-fake", "mindgan/losses.py", "skip", "return (real_loss + fake_loss) * self.d_scale",
          "return real_loss * self.d_scale", "BCE D loss without its fake half"),
    Break("loss-gp-skip", "mindgan/losses.py", "skip",
          "return wasserstein + self.gp_weight * self.gradient_penalty(d_apply, real, fake, labels, u)",
          "return wasserstein", "WGAN-GP without the gradient penalty"),
    Break("loss-d-scale-ignored", "mindgan/losses.py", "scale", "self.d_scale = cfg[\"d_loss_scale\"]",
          "self.d_scale = 1.0", "d_loss_scale ignored (the DCGAN tutorial's 0.5)"),
    Break("loss-gp-norm-target", "mindgan/losses.py", "scale", "return ((norm - 1) ** 2).mean()",
          "return ((norm - 0.5) ** 2).mean()", "gradient penalty pulls the norm to 0.5, not 1"),
    # training/schedule.py
    Break("schedule-order-flipped", "mindgan/training/schedule.py", "sign",
          "        loss_g, fake = self.g_step(z, y, a)\n        return self.d_step(real, fake, y, u, a), loss_g",
          "        loss_d = self.d_step(real, self.g_apply(z, y), y, u, a)\n        return loss_d, self.g_step(z, y, a)[0]",
          "g_then_d (the DCGAN tutorial's order) runs D first"),
    Break("schedule-skip-d-update", "mindgan/training/schedule.py", "skip", "        self.opt_d(self.reduce_d(grads))\n",
          "", "D's optimiser step skipped"),
    Break("schedule-skip-ema", "mindgan/training/schedule.py", "skip", "            self.ema()\n",
          "            pass\n", "the EMA update of G's weights skipped"),
    # training/state.py
    Break("ema-ramp-ignored", "mindgan/training/state.py", "scale",
          "d = ops.minimum((t + 1.0) / (t + 10.0), self.decay)", "d = self.decay + t * 0.0",
          "the weights' average without its ramp (the initial weights keep decay**t of it)"),
    Break("lr-decay-ignored", "mindgan/training/state.py", "skip",
          "return self.lr * (1.0 - ops.clip_by_value(t, 0.0, 1.0))", "return self.lr + t * 0.0",
          "lr_decay leaves the learning rate where it was"),
    Break("lr-decay-from-the-start", "mindgan/training/state.py", "scale",
          "self.start = updates - self.length", "self.start = 0.0",
          "lr_decay 0.5 decays from the first step, not over the second half"),
    Break("schedule-n-critic-off-by-one", "mindgan/training/schedule.py", "scale",
          "return (step + 1) % self.n_critic == 0", "return step % self.n_critic == 0",
          "G trains on the first critic step of each n_critic group instead of the last"),
    Break("schedule-uniforms-per-call", "mindgan/training/schedule.py", "scale",
          "np.random.default_rng([self.seed, first_step + i])", "np.random.default_rng([self.seed, first_step])",
          "WGAN-GP's interpolation uniforms drawn once per graph call, not per step"),
    Break("schedule-gp-every-ignored", "mindgan/training/schedule.py", "skip",
          "step(real, z, y, u if penalty else None, a, train_g)", "step(real, z, y, u, a, train_g)",
          "the penalty on every critic step whatever gp_every says"),
    Break("schedule-gp-every-phase", "mindgan/training/schedule.py", "scale", "return step % self.gp_every == 0",
          "return (step + 1) % self.gp_every == 0", "the lazy penalty on the wrong steps (1, 3, ... for gp_every 2)"),
    Break("loss-gp-lazy-unscaled", "mindgan/losses.py", "scale", 'self.gp_weight = cfg["gp_weight"] * cfg["gp_every"]',
          'self.gp_weight = cfg["gp_weight"]', "the lazy penalty not scaled up by gp_every"),
    # models/
    Break("models-truncation-ignored", "mindgan/models/__init__.py", "skip", "    if truncation > 0:\n",
          "    if False:\n", "the truncation trick never applied: samples from plain normal noise"),
    Break("models-whole-map-bias-dropped", "mindgan/models/blocks.py", "skip", "            out = out + self.bias\n",
          "            out = out\n", "WholeMapConv (wgan_gp's critic's last layer) without its bias"),
    Break("models-whole-map-bias-init", "mindgan/models/blocks.py", "scale", "bound = 1 / math.sqrt(c_in * k * k)",
          "bound = 1 / math.sqrt(c_in)", "WholeMapConv's bias drawn from another range than nn.Conv2d's"),
    Break("models-wgan-critic-conv-last", "mindgan/models/wgan_gp.py", "skip", "sigmoid=False, matmul_last=True)",
          "sigmoid=False)", "wgan_gp's critic back to the convolution oneDNN runs in its reference kernel"),
    Break("trainer-inference-mode", "mindgan/training/loop.py", "skip",
          "        self.train_mode()  # so that a step", "        pass  # so that a step",
          "a new Trainer leaves its nets in MindSpore's inference mode"),
    Break("bench-inference-mode", "mindgan/benchmark.py", "skip", "    trainer.train_mode()\n\n    def call():",
          "\n    def call():", "the bench times the step with the nets in inference mode"),
    Break("models-leaky-sign", "mindgan/models/blocks.py", "sign", "return self.relu(x) - self.alpha * self.relu(-x)",
          "return self.relu(x) + self.alpha * self.relu(-x)", "LeakyReLU's negative slope flipped"),
    Break("models-mlp-skip-norm", "mindgan/models/blocks.py", "skip", "if norm_from is not None and i >= norm_from:",
          "if norm_from is not None and i > norm_from:", "the first BatchNorm of an MLP skipped"),
    Break("models-dcgan-init-scale", "mindgan/models/dcgan.py", "scale", "return Normal(sigma=0.02, mean=0.0)",
          "return Normal(sigma=0.2, mean=0.0)", "DCGAN weight init 10x the tutorial's 0.02"),
    Break("models-to-unit-scale", "mindgan/models/__init__.py", "scale", "(np.asarray(images, np.float32) + 1.0) / 2.0",
          "(np.asarray(images, np.float32) + 1.0) / 2.5", "tanh images mapped to [0, 0.8], not [0, 1]"),
    # data/pipelines.py
    Break("data-tanh-sign", "mindgan/data/pipelines.py", "sign", "return vision.Normalize([127.5] * channels, [127.5] * channels)",
          "return vision.Normalize([127.5] * channels, [-127.5] * channels)", "pixels in [-1, 1] upside down"),
    Break("data-skip-shuffle", "mindgan/data/pipelines.py", "skip",
          "data = ds.MnistDataset(str(folder), usage=split, shuffle=shuffle,",
          "data = ds.MnistDataset(str(folder), usage=split, shuffle=False,", "MNIST batches never shuffled"),
    Break("data-sigmoid-scale", "mindgan/data/pipelines.py", "scale",
          "return vision.Normalize([0.0] * channels, [255.0] * channels)",
          "return vision.Normalize([0.0] * channels, [256.0] * channels)", "[0, 1] pixels divided by 256"),
    Break("data-latent-shard-scale", "mindgan/data/pipelines.py", "scale", "n = label.shape[0] * self.num_shards",
          "n = label.shape[0]", "sharded noise drawn per worker batch, not per global batch"),
]

# Proofs for tests that were fixed because they could not fail (issue 22): each break is one the test
# passed before its fix, and each must now make that test fail. `--proofs` runs them (tests of any tier).
PROOFS = [
    (Break("onnx-refused", "mindgan/exporting.py", "skip", "    fix_onnx(tmp, inputs)\n",
           "    raise MindganError(f\"{name} cannot be exported to ONNX: operator Conv2dTranspose has no ONNX mapping\")\n",
           "ONNX export refused with a one-line error naming an operator"),
     "tests/test_export.py::test_onnx_equals_mindspore_in_onnxruntime[dcgan]"),
    (Break("unknown-model-lists-one", "mindgan/registry.py", "skip",
           "registered {self.kind}s: {', '.join(sorted(self.items))}", "registered {self.kind}s: gan",
           "the unknown-model error lists only 'gan'"),
     "tests/test_contract.py::test_unknown_model_lists_the_registered_ones"),
    (Break("dp-batch-unchecked", "mindgan/parallel.py", "skip", '    if cfg["dp_batch"] not in DP_BATCH:',
           "    if False:", "parallel.local_batch no longer checks dp_batch"),
     "tests/test_parallel.py::test_batch_rule_errors_are_one_line"),
    (Break("eval-reads-grey", "mindgan/metrics/report.py", "skip", '"L" if c == 1 else "RGB"', '"L"',
           "evaluation reads image folders in grey"),
     "tests/test_inputs.py::test_rgba_folder_gives_the_same_pixels_to_training_and_evaluation"),
    (Break("resume-keeps-stale-rows", "mindgan/hooks.py", "skip", "        self.csv.truncate_after(trainer.state.step)\n",
           "", "a resume keeps the loss rows logged after its checkpoint"),
     "tests/test_reliability.py::test_kill_script_survives_sigkills"),
    (Break("onednn-uncapped", "mindgan/env.py", "skip", 'os.environ.setdefault("ONEDNN_MAX_CPU_ISA", CAP)',
           'os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "ALL")', "oneDNN left at its default ISA"),
     "tests/test_dcgan.py::test_onednn_fast_convolution_in_effect"),
    (Break("isa-lifted-with-convolutions", "mindgan/env.py", "skip", "    if ONEDNN_DEFAULTED and not convolves:",
           "    if ONEDNN_DEFAULTED:", "a run with convolutions may lift the AVX2 cap"),
     "tests/test_isa.py::test_a_run_with_convolutions_keeps_the_cap_and_says_so"),
    (Break("dcgan-declared-without-convolutions", "mindgan/models/dcgan.py", "skip",
           '@register_model("dcgan", recipe="dcgan_faces.yaml",',
           '@register_model("dcgan", recipe="dcgan_faces.yaml", convolutions=False,',
           "a convolutional model declared as matrix products only"),
     "tests/test_isa.py::test_each_model_declares_whether_its_nets_convolve"),
    (Break("device-check-writes-first", "scripts/device_check.sh", "skip", "set -u\n",
           "set -u\nmkdir -p \"$4\"\n", "the script makes its --venv before it checks for a GPU"),
     "tests/test_device_check.py::test_without_a_gpu_it_says_so_in_one_line"),
    (Break("model-without-facts", "mindgan/models/minimal.py", "skip", '@register_model("minimal",', '@register_model("minimal2",',
           "a registered model the model tests have no figures for"),
     "tests/test_models.py::test_shapes_range_and_size"),
]


def run_fast_tier(extra: list[str], timeout: int) -> tuple[bool, str, float]:
    """(a test failed, the first failure's line, seconds). The child imports this checkout's mindgan."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.time()
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *FAST, *extra],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True, "timed out (counted as killed)", time.time() - t0
    failed = [ln for ln in r.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    if r.returncode not in (0, 1):
        return True, f"pytest exit {r.returncode}: {(failed or r.stdout.splitlines()[-1:] or [''])[0]}", time.time() - t0
    return r.returncode == 1, (failed[0] if failed else ""), time.time() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="", help="run the breaks whose name starts with this")
    p.add_argument("--list", action="store_true", help="list the breaks and stop")
    p.add_argument("--timeout", type=int, default=1800, help="seconds for one fast-tier run")
    p.add_argument("--proofs", action="store_true", help="apply each proof break and run only its test: it must fail")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. test files to run instead of all)")
    args = p.parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):  # a kill or a closed terminal: the finally blocks put the file back
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    if args.proofs:
        return proofs(args.only, args.timeout)
    chosen = [b for b in BREAKS if b.name.startswith(args.only)]
    if args.list:
        for b in chosen:
            print(f"{b.name:30s} {b.kind:5s} {b.file}: {b.what}")
        return 0
    for b in chosen:  # every break still applies to today's code, before anything is changed
        if (REPO / b.file).read_text().count(b.old) != 1:
            print(f"{b.name}: its text is not (exactly once) in {b.file}; update the break")
            return 2
    clean_failed, line, _ = run_fast_tier(args.pytest_args, args.timeout)
    if clean_failed:
        print(f"the fast tier fails without any break ({line}): fix that first")
        return 2
    survived = []
    for b in chosen:
        path = REPO / b.file
        original = path.read_text()
        try:
            path.write_text(original.replace(b.old, b.new))
            killed, line, secs = run_fast_tier(args.pytest_args, args.timeout)
        finally:
            path.write_text(original)
        print(f"{'killed  ' if killed else 'SURVIVED'} {b.name:30s} {b.kind:5s} {secs:5.0f}s  "
              f"{line.removeprefix('FAILED ')[:110] if killed else b.what}", flush=True)
        if not killed:
            survived.append(b.name)
    print(f"\n{len(chosen) - len(survived)} of {len(chosen)} breaks killed by the fast tier"
          + (f"; survived: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


def proofs(only: str, timeout: int) -> int:
    """Each fixed test fails under its break (the break is put back after each)."""
    passed_anyway = []
    for b, test in [(b, t) for b, t in PROOFS if b.name.startswith(only)]:
        path = REPO / b.file
        original = path.read_text()
        if original.count(b.old) != 1:
            print(f"{b.name}: its text is not (exactly once) in {b.file}; update the proof")
            return 2
        try:
            path.write_text(original.replace(b.old, b.new))
            env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=REPO,
                               env=env, capture_output=True, text=True, timeout=timeout)
        finally:
            path.write_text(original)
        why = next((ln for ln in r.stdout.splitlines() if ln.startswith("E ")), "").strip()
        print(f"{'fails   ' if r.returncode == 1 else 'PASSES  '} {test}  <- {b.what}: {why[:120]}", flush=True)
        if r.returncode != 1:
            passed_anyway.append(test)
    return 1 if passed_anyway else 0


if __name__ == "__main__":
    sys.exit(main())
