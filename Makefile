# mindgan: the usual jobs. `make install` builds .venv from nothing; everything else runs inside it.
PY ?= .venv/bin/python
EPOCHS ?= 60

.PHONY: install train train-dp train-dcgan test test-fast mutation bench profile device-check notebooks data clean

install:
	python3 -m venv .venv
	.venv/bin/pip install --upgrade pip
	.venv/bin/pip install -e ".[dev]"

# The main job: the MindSpore MLP GAN tutorial on real digits, 60 of its 200 epochs (about 8 CPU minutes on
# 2 cores). Its training is the tutorial's; --ema 0.998 keeps an average of G's weights beside it, which
# samples draw from (README, "What the main job adds").
train:
	$(PY) -m mindgan.train --model gan --epochs $(EPOCHS) --ema 0.998 --out runs/gan-mnist

# DCGAN on the offline emoji with the CPU-sized recipe (32x32, half-width nets).
train-dcgan:
	$(PY) -m mindgan.train --config configs/dcgan_faces_small.yaml --out runs/dcgan-faces-small

# The same run on WORKERS data-parallel workers through MindSpore's msrun (see docs/parallel.md).
WORKERS ?= 2
train-dp:
	$(PY) -m mindgan.launch --workers $(WORKERS) -- --model gan --epochs $(EPOCHS) --out runs/gan-mnist-dp --no-progress

data:
	$(PY) -m mindgan.data fetch mnist

# The whole suite (what CI runs), and the unit tier for a quick loop while working.
test:  # two pytest workers, one per core: the whole suite in about half the time
	$(PY) -m pytest -q -n 2

test-fast:  # no test that starts a process or runs a training loop (docs/testing.md); one worker per core
	$(PY) -m pytest -q -n 2 -m "not subprocess and not trains"

# mutmut over the pure-Python core, judged by the fast tier, then the hand-made breaks of the MindSpore
# parts (docs/testing.md has the scores); CPU-heavy: tens of minutes on 2 cores.
mutation:
	rm -rf mutants
	$(PY) -m mutmut run --max-children 2
	$(PY) -m mutmut results
	$(PY) scripts/hand_mutations.py

bench:
	$(PY) -m mindgan.bench --model gan
	$(PY) benchmarks/compare.py --model gan $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON))

# Where the step's time goes, MindSpore beside PyTorch (docs/performance.md); a few minutes. PyTorch comes from
# TORCH_PYTHON, an interpreter of its own (`make profile TORCH_PYTHON=~/torchenv/bin/python`), or from .venv.
TORCH_PYTHON ?=
profile:
	$(PY) benchmarks/profile_step.py --model gan $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON))
	$(PY) benchmarks/profile_step.py --model dcgan --calls 1 --top 16 $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON))

# On a machine with an NVIDIA GPU: fresh venv with the `gpu` extra, what MindSpore sees, the device test tier,
# a short dcgan training, mindgan.bench and compare.py on the GPU; figures in device_check.json (<= 8 minutes).
# Without a GPU it says so in one line.
device-check:
	bash scripts/device_check.sh --out device_check.json

# Build the companion notebooks from their sources (notebooks/src/*.py), then run them at their documented
# settings and keep the outputs (the lead's measured minutes are in notebooks/README.md once run).
notebooks:
	$(PY) notebooks/build_notebooks.py
	$(PY) notebooks/run_notebooks.py

clean:
	rm -rf runs .pytest_cache
