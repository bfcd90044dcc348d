"""A cooperative deadline for long questions in a long-lived process (``trustgraph serve``).

A thread cannot be stopped from outside in Python: when a question runs past the service's
``--request-timeout``, the client has its 503 but the engine thread would go on computing — and
every later request waits behind it. So the loops that can run long (path walks, per-row
explanations, batches) call :func:`check`, which raises :class:`DeadlineExceeded` once the deadline
set by :func:`deadline` for the current thread has passed. Outside :func:`deadline` (the CLI, the
Python API) :func:`check` costs an attribute look-up and never raises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DeadlineExceeded", "deadline", "check"]

_local = threading.local()


class DeadlineExceeded(Exception):
    """The question ran past the deadline of the thread it runs on (the service answers 503). Not a
    :class:`~trustgraph.errors.TrustgraphError`: code that turns those into answers (a batch's error
    rows) must not swallow it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within the block, :func:`check` raises once ``seconds`` have passed (on this thread)."""
    previous = getattr(_local, "at", None)
    _local.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = previous


def check() -> None:
    """Raise :class:`DeadlineExceeded` when this thread's deadline has passed (see :func:`deadline`)."""
    at = getattr(_local, "at", None)
    if at is not None and time.monotonic() > at:
        raise DeadlineExceeded("the question ran past its deadline and was stopped")
