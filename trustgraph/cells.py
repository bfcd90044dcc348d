"""Reading single cells of canonical frames: empty (None, NaN, NaT, "") becomes ``None``."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["text", "day"]


def text(value: Any) -> str | None:
    """A cell as text, ``None`` when empty (None, NaN, NaT or "").

    >>> text(float("nan")) is None, text("ORG001")
    (True, 'ORG001')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def day(value: Any) -> str | None:
    """A date cell as ``YYYY-MM-DD``, ``None`` when empty.

    >>> day("2024-05-01T10:00"), day(None)
    ('2024-05-01', None)
    """
    found = text(value)
    return None if found is None else found[:10]
