"""``trustgraph analyze``: compute reputation and risk for every organisation, optionally store them."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import click
import pandas as pd

from ..analysis.contagion import combined_risk, contagion_scores, shared_people
from ..analysis.reputation import reputation_support
from ..store import SCORE_COLUMNS
from .app import Env, as_of_option, as_of_str, cli, half_life_option, half_life_value, note, pass_env
from .output import emit, format_option

__all__ = ["analyze", "score_frame"]


def _ranks(scores: dict[Any, float], *, descending: bool) -> dict[Any, int]:
    order = sorted(scores, key=lambda n: (-scores[n] if descending else scores[n], str(n)))
    return {n: i + 1 for i, n in enumerate(order)}


def score_frame(reputation: dict[Any, float], risk: dict[Any, float], computed_at: str) -> pd.DataFrame:
    """The scores table written back to the store (columns ``SCORE_COLUMNS``)."""
    rep_rank = _ranks(reputation, descending=True)
    risk_rank = _ranks(risk, descending=True)
    ids = sorted(set(reputation) | set(risk), key=str)
    return pd.DataFrame(
        {
            "id": [str(i) for i in ids],
            "reputation": [float(reputation.get(i, 0.5)) for i in ids],
            "reputation_rank": [rep_rank.get(i) for i in ids],
            "risk": [float(risk.get(i, 0.0)) for i in ids],
            "risk_rank": [risk_rank.get(i) for i in ids],
            "computed_at": computed_at,
        },
        columns=list(SCORE_COLUMNS),
    )


@cli.command()
@click.option("--write", is_flag=True, help="Store the scores (Neo4j: node properties; SQLite: the scores table).")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Print only the N riskiest.")
@as_of_option
@half_life_option
@format_option
@pass_env
def analyze(env: Env, write: bool, top: int | None, as_of: Any, half_life: float, fmt: str | None) -> None:
    """Compute reputation and risk (reputation combined with blacklist exposure) for every organisation.

    With --write the scores, their ranks and the time they were computed are stored, so Neo4j users
    see them in Cypher and Bloom (properties reputation, reputation_rank, risk, risk_rank,
    computed_at on :Organization) and SQLite users in the `scores` table.
    """
    hl = half_life_value(half_life)
    G = env.graph(as_of=as_of_str(as_of), half_life_days=hl)
    reputation, support = reputation_support(G)
    # The same exposure as `trustgraph contagion`: ties the party chose and the people it shares.
    exposure = contagion_scores(G, people=shared_people(env.tables(), as_of=G.graph["as_of"], half_life_days=hl))
    risk = combined_risk(exposure, reputation, support)
    computed_at = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    frame = score_frame(reputation, risk, computed_at)
    if write:
        n = env.store.write_scores(frame)
        note(env, f"wrote {n} scores to {env.settings.describe()}")
    rows = frame.sort_values(["risk_rank"]).to_dict("records")
    names = dict(G.nodes(data="name"))
    out = [
        {"id": r["id"], "name": names.get(r["id"]), "score": r["risk"], "rank": r["risk_rank"],
         "reputation": r["reputation"], "reputation_rank": r["reputation_rank"], "risk": r["risk"],
         "risk_rank": r["risk_rank"], "computed_at": r["computed_at"]}
        for r in rows[:top] if True
    ]
    emit(out, fmt, columns=["rank", "id", "name", "risk", "reputation", "reputation_rank"])
