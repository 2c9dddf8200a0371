"""Data parallelism under MindSpore's launcher (msrun): who this worker is, how many there are, and the
batch rule. Outside msrun everything here is a no-op: rank 0 of 1 worker, identity reducers.

msrun sets MS_ROLE (MS_SCHED for its scheduler process, MS_WORKER for workers), MS_WORKER_NUM,
MS_SCHED_HOST/PORT, RANK_ID, RANK_SIZE; the rank used is the one communication.init() assigns.
"""
from __future__ import annotations

import hashlib
import os

import mindspore as ms
from mindspore import communication, nn, ops

from .errors import MindganError

DP_BATCH = ("split_global", "per_worker")
DP_LR = ("keep", "linear")
_rank, _size = 0, 1


def fingerprint(cell) -> str:
    """sha256 of every parameter (name and bytes): equal on all ranks when they stayed in step."""
    h = hashlib.sha256()
    for p in sorted(cell.get_parameters(), key=lambda p: p.name):
        h.update(p.name.encode())
        h.update(p.asnumpy().tobytes())
    return h.hexdigest()[:16]


def launched() -> bool:
    """True in a process msrun started (its scheduler runs the same script, so count it too)."""
    return os.environ.get("MS_ROLE") in ("MS_WORKER", "MS_SCHED")


def init() -> int:
    """Join the msrun job (after device.setup); returns the number of workers (1 outside msrun)."""
    global _rank, _size
    if not launched():
        return 1
    if os.environ.get("MS_ROLE") == "MS_SCHED" and os.environ.get("MINDGAN_NODE_RANK", "0") != "0":
        # msrun starts a scheduler on every node whose address is the master's (several "nodes" on one
        # host, as on loopback); node 0's serves the job, a second one could only fail to bind the port.
        raise SystemExit(0)
    # DATA_PARALLEL + gradients_mean: DistributedGradReducer averages (not sums) the workers' gradients.
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    try:
        communication.init()
    except RuntimeError as err:
        if os.environ.get("MS_ROLE") == "MS_SCHED":  # its init() lasts the whole job: a worker was lost
            raise MindganError(f"the msrun job failed ({str(err).strip().splitlines()[0]})") from None
        raise MindganError(f"could not join the msrun job ({str(err).strip().splitlines()[0]}); "
                           f"see the scheduler.log in msrun's --log_dir") from None
    if os.environ.get("MS_ROLE") == "MS_SCHED":
        raise SystemExit(0)  # msrun's scheduler runs this script too; init() served the job until it ended
    _rank, _size = communication.get_rank(), communication.get_group_size()
    return _size


def rank() -> int:
    return _rank


def group_size() -> int:
    return _size


def is_main() -> bool:
    """Rank 0 writes the run folder (grids, CSV, GIF, checkpoints); the others only read it."""
    return _rank == 0


def shard() -> tuple[int, int] | None:
    """(shard_id, num_shards) for the datasets under data parallelism, None for one worker."""
    return (_rank, _size) if _size > 1 else None


def barrier() -> None:
    """Wait for every worker: rank 0 must have checked/written files before the others go on."""
    if _size > 1:  # an all-reduce of one number: MindSpore's Barrier op has no CPU kernel
        ops.AllReduce()(ms.Tensor([1.0], ms.float32)).asnumpy()


def _check_rules(cfg: dict) -> None:
    if cfg["dp_batch"] not in DP_BATCH:
        raise MindganError(f"dp_batch must be one of {', '.join(DP_BATCH)}, got {cfg['dp_batch']!r}")
    if cfg["dp_lr"] not in DP_LR:
        raise MindganError(f"dp_lr must be one of {', '.join(DP_LR)}, got {cfg['dp_lr']!r}")


def local_batch(cfg: dict, workers: int | None = None) -> int:
    """Images per step on one worker. split_global: batch_size is the global batch, cut into equal
    parts (so N workers train like one); per_worker: each worker takes batch_size (global = N x)."""
    _check_rules(cfg)
    n = workers or _size
    if cfg["dp_batch"] == "per_worker" or n == 1:
        return cfg["batch_size"]
    if cfg["batch_size"] % n:
        raise MindganError(f"dp_batch split_global: batch_size {cfg['batch_size']} does not split into {n} "
                           f"equal worker batches; use a multiple of {n} or --dp-batch per_worker")
    return cfg["batch_size"] // n


def global_batch(cfg: dict) -> int:
    return local_batch(cfg) * _size


def lr_scale(cfg: dict) -> float:
    """linear: learning rates grow with the global batch over the recipe's batch_size; keep: unchanged."""
    _check_rules(cfg)
    return global_batch(cfg) / cfg["batch_size"] if cfg["dp_lr"] == "linear" else 1.0


class _Identity(nn.Cell):
    def construct(self, x):
        return x


class _LossMean(nn.Cell):
    """A loss averaged over workers: every rank logs (and NaN-checks) the same global-batch value."""

    def __init__(self, workers: int):
        super().__init__()
        self.all_reduce, self.workers = ops.AllReduce(), workers

    def construct(self, x):
        return self.all_reduce(x) / self.workers


def grad_reducer(optimizer) -> nn.Cell:
    """Mean of the workers' gradients for one optimiser's parameters (identity for one worker)."""
    return nn.DistributedGradReducer(optimizer.parameters, mean=True, degree=_size) if _size > 1 else _Identity()


def average_buffers(*cells) -> None:
    """Average the non-trained state (BatchNorm running mean/variance) over workers. Training normalises
    with each worker's own batch statistics; the running statistics that sampling and checkpoints use
    are made the workers' mean, so they reflect all the data and every rank holds identical weights."""
    if _size == 1:
        return
    reduce = ops.AllReduce()
    for cell in cells:
        for p in cell.get_parameters():
            if not p.requires_grad:
                p.set_data(reduce(p) / _size)


def loss_mean() -> nn.Cell:
    return _LossMean(_size) if _size > 1 else _Identity()
