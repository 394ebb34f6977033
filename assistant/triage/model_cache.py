"""One JSON cache for the small learned models (scope, coverage): read it, or fit and write it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["cached_fit"]

log = logging.getLogger(__name__)

M = TypeVar("M")


def cached_fit(
    cache: Path | None,
    name: str,
    fit: Callable[[], M],
    load: Callable[[dict[str, Any]], M],
    dump: Callable[[M], dict[str, Any]],
) -> M:
    """Return the model stored at `cache` (by `load`), or `fit()` it and store `dump(model)`.

    An unreadable cache is retrained; a cache that cannot be written (a read-only data folder) is
    only logged, and the next start trains again. `name` names the model in those warnings.
    """
    if cache is not None and cache.is_file():
        try:
            return load(json.loads(cache.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s cache %s is unreadable; retraining", name, cache)
    model = fit()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(dump(model)), "utf-8")
        except OSError as exc:
            log.warning("could not cache the %s in %s: %s", name, cache, exc)
    return model
