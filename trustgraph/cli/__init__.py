"""The ``trustgraph`` command-line interface: thin click commands over the library.

One module per concern registers its commands on :data:`trustgraph.cli.app.cli`; the group imports a
module only when one of its commands runs (:class:`trustgraph.cli.app.LazyGroup`), so ``--version``,
``--help`` and light commands start without pandas, SciPy or NetworkX.
"""

from __future__ import annotations

from .app import cli, main

__all__ = ["cli", "main"]
