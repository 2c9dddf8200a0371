#!/usr/bin/env bash
# scripts/compat.sh VERSION: does mindgan work with MindSpore VERSION? Measured, not guessed.
#
# Builds a fresh venv under ${COMPAT_ROOT:-/tmp/mindgan-compat}/ms-VERSION (never inside the repo) with
# mindspore==VERSION, numpy<2 and this working tree (copied, so later edits do not change the result),
# then: the fast test tier, a two-step training of every registered model on a small MNIST-format folder,
# and one MindIR export loaded back by `mindgan.generate --model-file`. Prints one row of the README's
# compatibility table; the log stays in that folder, the venv is deleted at the end (COMPAT_KEEP=1 keeps it). Exits
# non-zero when any part fails.
#   bash scripts/compat.sh 2.9.0            # several minutes; downloads MindSpore (~800 MB) once
#   PYTHON=python3.10 bash scripts/compat.sh 2.7.2
set -uo pipefail

# All in one function: bash reads it whole before running it, so editing this file mid-run is harmless.
main() {
    if [[ $# -ne 1 || ! $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+[.a-z0-9]*$ ]]; then
        echo "usage: bash scripts/compat.sh VERSION   (a MindSpore release, e.g. 2.9.0)" >&2
        return 2
    fi
    VERSION=$1
    REPO=$(cd "$(dirname "$0")/.." && pwd)
    ROOT=${COMPAT_ROOT:-/tmp/mindgan-compat}/ms-$VERSION
    VENV=$ROOT/venv
    SRC=$ROOT/src
    LOG=$ROOT/compat.log
    PY=$VENV/bin/python
    rm -rf "$ROOT" && mkdir -p "$ROOT" || return 1
    : >"$LOG"
    say() { echo "compat $VERSION: $*" | tee -a "$LOG" >&2; }

    # The tree as git sees it (tracked + untracked, not ignored): no .venv, runs or caches come along.
    (cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 tar cf - 2>/dev/null) | (mkdir -p "$SRC" && tar xf - -C "$SRC")
    # The copy asks for exactly VERSION, so a release outside pyproject's range can be measured before widening it.
    pin=$(grep -oE '"mindspore[^"]*"' "$SRC/pyproject.toml" | head -1)
    sed -i -E "s/\"mindspore[<>=!~][^\"]*\"/\"mindspore==$VERSION\"/" "$SRC/pyproject.toml"

    say "venv in $VENV (the repo's pyproject asks for $pin; this copy for mindspore==$VERSION)"
    install=fail fast=fail export=fail trained=0 models=0 failed=""
    if "${PYTHON:-python3}" -m venv "$VENV" >>"$LOG" 2>&1 \
       && "$PY" -m pip install -q "mindspore==$VERSION" "numpy<2" -e "$SRC[dev]" >>"$LOG" 2>&1; then
        install=ok
    fi
    if [[ $install == ok ]]; then
        MS=$("$PY" -c "import mindgan, mindspore, numpy; print(mindspore.__version__, numpy.__version__)" 2>>"$LOG")
        say "mindspore, numpy: ${MS:-import failed}"
        # The fast tier, as `make test-fast` defines it (its marks may change; the Makefile is the source).
        say "fast tier"
        if (cd "$SRC" && timeout 1800 make test-fast PY="$PY") >>"$LOG" 2>&1; then fast=ok; fi
        fast_line=$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$LOG" | tail -1 | tr -d '=' | xargs)
        [[ -n $fast_line ]] && fast="$fast ($fast_line)"

        WORK=$ROOT/work
        "$PY" - "$WORK/mnist" <<'EOF' >>"$LOG" 2>&1
import sys
from pathlib import Path
import numpy as np
import mindgan  # noqa: F401  (environment before MindSpore loads)
from mindgan.data import idx
rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, (96, 28, 28)).astype(np.uint8), rng.integers(0, 10, 96).astype(np.uint8)
idx.write_split(Path(sys.argv[1]), "train", images[:64], labels[:64])
idx.write_split(Path(sys.argv[1]), "test", images[64:], labels[64:])
EOF
        for model in $("$PY" -c "from mindgan.models import list_models; print(*list_models())" 2>>"$LOG"); do
            models=$((models + 1))
            say "two steps of $model"
            if (cd "$WORK" && timeout 900 "$PY" -m mindgan.train --model "$model" --data "$WORK/mnist" --channels 1 \
                    --image-size 28 --epochs 1 --max-steps 2 --batch-size 8 --grid-rows 2 --grid-cols 2 \
                    --no-progress --device CPU --out "$WORK/run-$model") >>"$LOG" 2>&1; then
                trained=$((trained + 1))
            else
                failed="$failed $model"
            fi
        done
        say "MindIR export of the gan run"
        ckpt=$(ls "$WORK"/run-gan/checkpoints/*.ckpt 2>/dev/null | tail -1)
        if [[ -n $ckpt ]] && (cd "$WORK" && "$PY" -m mindgan.export --ckpt "$ckpt" --format MINDIR --out "$WORK/gan.mindir" \
                --device CPU && "$PY" -m mindgan.generate --model-file "$WORK/gan.mindir" --out "$WORK/from_mindir" \
                --device CPU) >>"$LOG" 2>&1 && ls "$WORK"/from_mindir/*.png >/dev/null 2>&1; then
            export=ok
        fi
    fi
    row="| $VERSION | install $install | fast tier $fast | $trained/$models models trained${failed:+ (failed:$failed)} | MindIR export $export |"
    echo "$row" | tee -a "$LOG"
    say "log: $LOG"
    [[ ${COMPAT_KEEP:-0} == 1 ]] || rm -rf "$VENV"  # ~2.5 GB each; COMPAT_KEEP=1 keeps it to look into a failure
    [[ $install == ok && $fast == ok* && $models -gt 0 && $trained -eq $models && $export == ok ]]
}

main "$@"
