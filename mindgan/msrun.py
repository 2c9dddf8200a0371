"""Data-parallel jobs through MindSpore's msrun (`python -m mindgan.launch`, mindgan/cli/launch.py): the
msrun command line, the checks msrun would only report late or as a traceback (a master port in use, more
workers than this machine holds), running the job, and naming the worker whose log says why it failed."""
from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import env as env_defaults
from . import portable
from .device import cpu_cores
from .errors import MindganError

DEFAULT_PORT = 8118


def require_linux() -> None:
    """msrun ships with MindSpore on Linux only."""
    portable.require_linux("data-parallel training (MindSpore's msrun, python -m mindgan.launch)",
                           "train on one worker with python -m mindgan.train")


def train_device(train_args: list[str]) -> str:
    """The --device the workers will get (auto when not given)."""
    for i, a in enumerate(train_args):
        if a.startswith("--device="):
            return a.split("=", 1)[1]
        if a == "--device" and i + 1 < len(train_args):
            return train_args[i + 1]
    return "auto"


def check_workers(workers: int, nodes: int, node_rank: int, device: str) -> None:

    if workers < 1 or nodes < 1 or not 0 <= node_rank < nodes:
        raise MindganError(f"need --workers >= 1, --nodes >= 1 and 0 <= --node-rank < --nodes "
                           f"(got {workers}, {nodes}, {node_rank})")
    if device.lower() in ("cpu", "auto") and workers > cpu_cores():
        # On CPU each worker needs a core of its own; more only time-share cores (and auto is CPU here
        # unless an accelerator is present, where msrun maps one worker to one device).
        raise MindganError(f"{workers} workers on a machine with {cpu_cores()} CPU cores: each CPU worker needs "
                           f"a core; use --workers {cpu_cores()} or fewer")
    if workers > 16:
        raise MindganError(f"{workers} workers on one node: msrun gives each one device and nodes hold at most "
                           f"16; use --nodes to spread them")


def check_port(addr: str, port: int) -> None:
    """The scheduler binds addr:port on node 0; a taken port would otherwise fail deep inside msrun."""
    if not 0 < port < 65536:
        raise MindganError(f"--master-port {port} is not a port number (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As the scheduler binds: connections of a job that just ended (TIME_WAIT) do not block the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, port))
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:  # node 0 runs the scheduler: the address must be its own
                raise MindganError(f"--master-addr {addr} is not an address of this machine: node 0 (--node-rank 0) "
                                   f"runs the scheduler, so give one of its own addresses (or run this command "
                                   f"on {addr})") from None
            raise MindganError(f"master port {port} on {addr} is in use or not bindable ({err.strerror}): pass a "
                               f"free one with --master-port, e.g. --master-port {free_port(addr)}") from None


def check_master_addr(addr: str) -> None:
    """msrun resolves --master_addr only after it has started, and fails with a traceback."""
    try:
        socket.getaddrinfo(addr.strip("[]"), None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        raise MindganError(f"--master-addr {addr!r} does not resolve ({getattr(err, 'strerror', err)}): give node "
                           f"0's IP address, or a host name this machine can look up") from None


def check_log_dir(log_dir: Path) -> None:
    """The log folder must be a folder this process can create and write to."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MindganError(f"cannot create --log-dir {log_dir} ({err.strerror}): give a folder you can "
                           f"write to") from None
    if not os.access(log_dir, os.W_OK | os.X_OK):
        raise MindganError(f"--log-dir {log_dir} is not writable: give a folder you can write to")


JOB_LOGS = ("worker_*.log", "scheduler.log", "msrun.log")  # what msrun and this launcher write in --log-dir


def set_aside_old_logs(log_dir: Path) -> Path | None:
    """Move an earlier job's logs into log_dir/earlier_<time>/ (kept, but never blamed for this job's
    failure); returns that folder, or None when there were none."""
    old = [p for pattern in JOB_LOGS for p in log_dir.glob(pattern) if p.is_file()]
    if not old:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(max(p.stat().st_mtime for p in old)))
    dest = log_dir / f"earlier_{stamp}"
    n = 1
    while dest.exists():
        n += 1
        dest = log_dir / f"earlier_{stamp}_{n}"
    dest.mkdir()
    for p in old:
        p.rename(dest / p.name)
    prune_old_logs(log_dir)
    return dest


KEEP_JOBS = 5  # earlier jobs' log folders kept in --log-dir; older ones are deleted


def prune_old_logs(log_dir: Path, keep: int = KEEP_JOBS) -> list[Path]:
    """Delete all but the newest `keep` earlier_<time>/ folders, and only those holding nothing but the
    logs a job writes (a folder with anything else, or a link, is left alone). Returns what went."""
    def ours(folder: Path) -> bool:
        return (folder.is_dir() and not folder.is_symlink() and
                all(f.is_file() and not f.is_symlink() and any(fnmatch.fnmatch(f.name, pat) for pat in JOB_LOGS)
                    for f in folder.iterdir()))

    earlier = sorted((p for p in log_dir.glob("earlier_*") if ours(p)), key=lambda p: (p.stat().st_mtime, p.name))
    gone = earlier[: max(0, len(earlier) - keep)]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


def free_port(addr: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def msrun_command(args) -> list[str]:
    require_linux()
    bindir = Path(sys.executable).parent
    msrun = shutil.which("msrun", path=str(bindir)) or shutil.which("msrun")
    if msrun is None:
        raise MindganError("msrun (MindSpore's launcher) is not installed next to this Python; reinstall mindspore")
    timeout = args.cluster_timeout or (120 if args.nodes == 1 else 600)
    module = "mindgan.bench" if args.bench else "mindgan.train"
    return [msrun, f"--worker_num={args.workers * args.nodes}", f"--local_worker_num={args.workers}",
            f"--node_rank={args.node_rank}", f"--master_addr={args.master_addr}",
            f"--master_port={args.master_port}", f"--log_dir={args.log_dir}", "--join=True",
            f"--cluster_time_out={timeout}", "--tail_worker_log=0",  # rank 0 on the console; all in log_dir
            "python", "-m", module, *args.args]


def worker_env(node_rank: int = 0, node_timeout: int | None = None) -> dict:
    """msrun starts `python` from PATH: make it this interpreter, importing this copy of mindgan."""
    env = dict(os.environ, MINDGAN_NODE_RANK=str(node_rank))  # parallel.init: one scheduler per job
    if env_defaults.ONEDNN_DEFAULTED:  # mindgan's cap, not the user's: each worker chooses its run's ISA itself
        env.pop("ONEDNN_MAX_CPU_ISA", None)
    if node_timeout is not None:  # read by the scheduler and the workers' heartbeat
        env["MS_NODE_TIMEOUT"] = str(node_timeout)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


COLLECTIVE_FAILED = "AllReduceCPUKernelMod launch failed"  # MindSpore's log line when a peer vanished mid-step


def failed_worker(log_dir: Path, pids: list[int], ranks: dict[int, str]) -> tuple[Path, str] | None:
    """The log of the worker that failed first, and its last error line. msrun names the pid of the
    worker that exited (`ranks` maps pids to RANK_ID, msrun's log name); failing that, the first log
    with an error."""
    for pid in pids:
        log = log_dir / f"worker_{ranks.get(pid)}.log"
        if pid in ranks and log.is_file():
            lines = log.read_text(errors="replace").splitlines()
            errors = [ln.removeprefix("error: ") for ln in lines if ln.startswith("error: ")]
            if errors:
                return log, errors[-1]
            if any(COLLECTIVE_FAILED in ln for ln in lines):  # it was not the one that died
                return log, "its all-reduce with the other workers failed: a worker on another node stopped"
            return log, f"the worker (pid {pid}) was killed or crashed"
    logs = sorted(log_dir.glob("worker_*.log"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        found = [ln for ln in lines if ln.startswith("error: ")] or \
                [ln for ln in lines if re.match(r"^\w*(Error|Exception)\b", ln)]
        if found:
            return log, found[-1].removeprefix("error: ")
    return None


def timed_out_rank(log_dir: Path) -> int | None:
    """The rank of the first worker the scheduler (node 0) declared lost after its heartbeat stopped."""
    log = log_dir / "scheduler.log"
    if not log.is_file():
        return None
    found = re.search(r"The node: (\d+) is timed out", log.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def worker_ranks(root: int) -> dict[int, str]:
    """pid -> RANK_ID of msrun's worker processes under root."""
    found = {}
    for pid in _descendants(root):
        try:
            raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            env = dict(kv.split(b"=", 1) for kv in raw if b"=" in kv)
        except OSError:
            continue
        if env.get(b"MS_ROLE") == b"MS_WORKER" and b"RANK_ID" in env:
            found[pid] = env[b"RANK_ID"].decode()
    return found


def _descendants(pid: int) -> list[int]:
    """Child processes (transitively) of pid, from /proc: msrun's scheduler and workers."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def all_ranks_known(ranks: dict[int, str], workers: int) -> bool:
    """Whether every rank has a pid. Counted by rank, not by pid: a worker's child process inherits its
    MS_WORKER environment, so two pids of one rank must not stop the search before the other rank is seen."""
    return len(set(ranks.values())) >= workers


def run_msrun(cmd: list[str], env: dict, log_dir: Path, workers: int) -> tuple[int, list[int], dict[int, str]]:
    """Run msrun; its own messages go to log_dir/msrun.log. When a worker dies, msrun kills the other
    workers but its scheduler can wait out a heartbeat or join timeout: end the job then, not minutes later."""
    log_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    failed, pids, ranks = threading.Event(), [], {}

    def pump():
        with open(log_dir / "msrun.log", "a") as f:
            for line in proc.stderr:
                f.write(line)
                f.flush()
                dead = re.search(r"Worker process (\d+) exit with exception", line)
                if dead:
                    pids.append(int(dead.group(1)))
                    failed.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        while proc.poll() is None:
            if not all_ranks_known(ranks, workers):  # learn which pid is which rank while they run
                ranks.update(worker_ranks(proc.pid))
            if failed.wait(0.5):
                deadline = time.time() + 5  # msrun's own clean-up first
                while proc.poll() is None and time.time() < deadline:
                    time.sleep(0.2)
                for pid in [*_descendants(proc.pid), proc.pid] if proc.poll() is None else []:
                    portable.kill(pid)  # SIGKILL; a process already gone is skipped
                break
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)  # msrun stops all workers on SIGINT
        proc.wait()
        raise
    rc = proc.wait()
    reader.join(timeout=5)
    return (1 if failed.is_set() and rc == 0 else rc), pids, ranks
