"""Attack generators for benchmarks/attack_bench.py: one module per attack (see docs/threat-model.md).

Every module ``<name>.py`` in this folder that does not start with ``_`` is a generator with
``DESCRIPTION`` (the attack in words, written before the code), ``HELD_OUT`` (True: written from its
description only and never used to choose a parameter of the method), ``PARAMS`` (the parameter
variations reported) and ``generate(folder, seed, *, orgs=1000, **params) -> dict[str, str]`` (writes
a dataset folder for ``trustgraph load`` and returns each organisation's role: listed, attacker,
front, honest_partner, honest).

:func:`registry` lists them with their held-out flag without importing them; :func:`load` imports one.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = ["Generator", "registry", "load"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Generator:
    """A generator module found in this folder."""

    name: str
    held_out: bool
    path: Path


def _held_out(path: Path) -> bool:
    """The module's ``HELD_OUT`` constant, read from its syntax tree (the module is not imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == "HELD_OUT" for t in targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                return value.value
    raise ValueError(f"{path.name}: no HELD_OUT = True/False")


def registry() -> list[Generator]:
    """Every generator in the folder, design ones first, then held-out ones, each group by name."""
    found = [Generator(p.stem, _held_out(p), p) for p in sorted(_HERE.glob("*.py")) if not p.stem.startswith("_")]
    return sorted(found, key=lambda g: (g.held_out, g.name))


def load(name: str) -> ModuleType:
    """Import the generator module ``name``."""
    return importlib.import_module(f"{__name__}.{name}")
