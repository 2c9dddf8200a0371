"""Data: sources (where it comes from, cached) and pipelines (MindSpore datasets in the model's range)."""
from .sources import SOURCES, Location, cache_root, fetch, resolve  # noqa: F401
