"""Training: the loop (loop.py), the order of the updates (schedule.py), what a checkpoint holds (state.py)."""
from .loop import Trainer

__all__ = ["Trainer"]
