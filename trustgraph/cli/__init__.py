"""The ``trustgraph`` command-line interface: thin click commands over the library.

One module per concern registers its commands on :data:`trustgraph.cli.app.cli`.
"""

from __future__ import annotations

from . import (  # noqa: F401  (imported to register commands)
    analyze_commands,
    chains_commands,
    contagion_commands,
    data_commands,
    demo_commands,
    lifecycle_commands,
    map_commands,
    query_commands,
    reputation_commands,
)
from .app import cli, main

__all__ = ["cli", "main"]
