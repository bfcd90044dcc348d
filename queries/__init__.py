"""The named Cypher queries shipped with trustgraph: data only, one ``.cypher`` file per query.

This folder is installed as the package ``trustgraph.queries`` (see ``[tool.setuptools.package-dir]`` in
pyproject.toml) so that :mod:`importlib.resources` finds the files in a wheel and in an editable install;
the loader, the ``@param`` header parser and the read-only check are in :mod:`trustgraph.named_queries`.
"""
