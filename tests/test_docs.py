"""The documentation cannot drift: generated references match, every command is documented."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trustgraph.ingest import validate
from trustgraph.model import TABLES, format_reference

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_format_doc_is_generated_from_the_model() -> None:
    assert (ROOT / "docs" / "dataset-format.md").read_text(encoding="utf-8") == format_reference()


def test_every_example_row_is_valid() -> None:
    raw = {name: pd.DataFrame([t.example], dtype=str) for name, t in TABLES.items()}
    # Examples reference each other's ids; add the organisations and people they name.
    ids = {"organizations": {"ORG001", "ORG007", "ORG012", "ORG050", "ORG066"}, "people": {"P001", "P014"},
           "partnerships": {"PS001"}, "incidents": {"I001"}}
    tables = validate(raw, known_ids=ids)
    assert set(tables) == set(TABLES)
