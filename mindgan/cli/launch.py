"""`python -m mindgan.launch --workers 2 -- --model gan ...`: data-parallel training through msrun.

Builds and runs `msrun --worker_num=N --local_worker_num=N ... python -m mindgan.train <args>`, after
checking what msrun would only report late or as a traceback: a master port already in use, more
workers than this machine can hold. A failed job ends in one line naming the failing worker's log.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import msrun
from ..errors import MindganError, cli_entry
from ..msrun import (DEFAULT_PORT, check_log_dir, check_master_addr, check_port, check_workers, failed_worker,
                     msrun_command, run_msrun, set_aside_old_logs, timed_out_rank, train_device, worker_env)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m mindgan.launch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Everything after -- goes to mindgan.train (or mindgan.bench with --bench).")
    p.add_argument("--workers", "--workers-per-node", type=int, default=2, help="workers on this node (default 2)")
    p.add_argument("--nodes", type=int, default=1, help="nodes in the job, each with --workers workers (default 1)")
    p.add_argument("--node-rank", type=int, default=0, help="this node's index, 0 on the master node (default 0)")
    p.add_argument("--master-addr", default="127.0.0.1", help="address of node 0's scheduler (default 127.0.0.1)")
    p.add_argument("--master-port", type=int, default=DEFAULT_PORT, help=f"scheduler port (default {DEFAULT_PORT})")
    p.add_argument("--log-dir", default="runs/msrun_logs", help="msrun's worker logs (default runs/msrun_logs)")
    p.add_argument("--cluster-timeout", type=int, default=None,
                   help="seconds to wait for all workers to join (default 120 on one node, 600 on several)")
    p.add_argument("--node-timeout", type=int, default=None,
                   help="seconds without a heartbeat before the scheduler declares a worker lost and ends the "
                        "job (MindSpore's MS_NODE_TIMEOUT; default its own, 30)")
    p.add_argument("--bench", action="store_true", help="run mindgan.bench instead of mindgan.train")
    p.add_argument("--dry-run", action="store_true", help="print the msrun command and exit")
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- then the mindgan.train arguments")
    args = p.parse_args(argv)
    if args.args and args.args[0] == "--":
        args.args = args.args[1:]
    return args


@cli_entry
def main(argv=None):
    args = parse_args(argv)
    msrun.require_linux()  # before any check that would only matter on Linux
    if not args.args:
        raise MindganError("nothing to run: give the training arguments after --, e.g. -- --model gan --epochs 5")
    check_workers(args.workers, args.nodes, args.node_rank, train_device(args.args))
    check_master_addr(args.master_addr)
    for flag, value in (("--node-timeout", args.node_timeout), ("--cluster-timeout", args.cluster_timeout)):
        if value is not None and value < 1:
            raise MindganError(f"{flag} must be a number of seconds >= 1, got {value}")
    log_dir = Path(args.log_dir)
    if log_dir.exists() and not log_dir.is_dir():
        raise MindganError(f"--log-dir {log_dir} is a file, not a folder: give a folder for msrun's logs")
    if args.node_rank == 0:
        check_port(args.master_addr, args.master_port)
    cmd = msrun_command(args)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    check_log_dir(log_dir)
    moved = set_aside_old_logs(log_dir)  # kept, but a previous job's logs must not be blamed for this one
    if moved:
        print(f"mindgan: the logs of an earlier job in {log_dir} were moved to {moved}", flush=True)
    print(f"mindgan: msrun with {args.workers * args.nodes} workers; logs in {log_dir}", flush=True)
    rc, pids, ranks = run_msrun(cmd, worker_env(args.node_rank, args.node_timeout), log_dir, args.workers)
    if rc != 0:
        lost = timed_out_rank(log_dir)
        if lost is not None:  # another node's worker stopped answering: blame it, not this node's victims
            node = lost // args.workers
            log = log_dir / f"worker_{lost}.log"
            where = str(log) if log.is_file() else f"worker_{lost}.log in node {node}'s --log-dir"
            raise MindganError(f"node {node} (worker rank {lost}) stopped responding and the job was stopped; "
                               f"its log is {where}; continue from the last checkpoint with --resume")
        bad = failed_worker(log_dir, pids, ranks)
        if bad and bad[1].endswith("another node stopped") and args.nodes == 2:
            raise MindganError(f"worker log {bad[0]} reports: {bad[1]}: node {1 - args.node_rank} is gone or stopped "
                               f"answering (see its logs); continue from the last checkpoint with --resume")
        if bad:
            raise MindganError(f"worker log {bad[0]} reports: {bad[1]} (the other workers were stopped)")
        raise MindganError(f"the msrun job failed (exit {rc}); see {log_dir}/scheduler.log and {log_dir}/msrun.log")
    return 0

