"""What MindSpore prints while the package trains: its own warnings stay, except the one the package's
design makes on purpose (each step pattern is its own compiled graph)."""
from __future__ import annotations

import logging

from mindspore import log as ms_log

from helpers import untrained


def test_new_step_patterns_compile_without_a_recompile_warning_and_other_warnings_still_show(
        tmp_path, tiny_mnist, capfd):
    # warnings on, as in a notebook whose first cell imports mindspore before mindgan (GLOG_v unset)
    logger = ms_log._get_logger()  # pylint: disable=protected-access
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        _train_two_patterns(tmp_path, tiny_mnist)
    finally:
        logger.setLevel(level)
    err = capfd.readouterr().err
    assert "has been compiled again" not in err
    assert "a MindSpore warning the package did not cause" in err


def _train_two_patterns(tmp_path, tiny_mnist):
    trainer, b = untrained("gan", tiny_mnist, tmp_path / "run")
    trainer.schedule.run(b[:2], 0)
    trainer.schedule.run(b[2:3], 2)  # a second pattern: a new jit object of the same code
    ms_log.warning("a MindSpore warning the package did not cause")
