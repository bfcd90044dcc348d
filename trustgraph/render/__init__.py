"""Rendering: interactive, self-contained HTML network maps (see :mod:`trustgraph.render.map`)."""

from __future__ import annotations

from .layout import layout_positions
from .map import (
    COLOR_MEASURES,
    DEFAULT_EDGE_KINDS,
    DEFAULT_MAX_NODES,
    EDGE_KINDS,
    SIZE_MEASURES,
    MapData,
    available_colors,
    available_sizes,
    map_data,
    render_html,
    write_html,
)

__all__ = [
    "COLOR_MEASURES",
    "DEFAULT_EDGE_KINDS",
    "DEFAULT_MAX_NODES",
    "EDGE_KINDS",
    "SIZE_MEASURES",
    "MapData",
    "available_colors",
    "available_sizes",
    "layout_positions",
    "map_data",
    "render_html",
    "write_html",
]
