"""``trustgraph analyze``: compute reputation and risk for every organisation, optionally store them."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import click

from .app import (
    DEFAULT_HALF_LIFE_DAYS,
    Env,
    answers,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    note,
    pass_env,
)
from .options import alias, limit_option
from .output import emit_answer, format_option

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..analysis.contagion import Risk

__all__ = ["analyze", "analyze_document", "score_frame"]


def _ranks(scores: dict[Any, float], *, descending: bool) -> dict[Any, int]:
    order = sorted(scores, key=lambda n: (-scores[n] if descending else scores[n], str(n)))
    return {n: i + 1 for i, n in enumerate(order)}


def score_frame(reputation: dict[Any, float], risk: dict[Any, float], computed_at: str) -> pd.DataFrame:
    """The scores table written back to the store (columns ``SCORE_COLUMNS``)."""
    import pandas as pd

    from ..store import SCORE_COLUMNS

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


def _risk_frame(assessed: Risk, computed_at: str) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`score_frame` of an assessment, on arrays (one row per party, by id), and each row's party."""
    import numpy as np
    import pandas as pd

    from ..store import SCORE_COLUMNS

    snap = assessed.snapshot
    ids = snap.ids.tolist()  # one decoding pass over the id column
    order = getattr(snap.ids, "_order", None)
    if order is not None and len(order) == snap.n:
        by_id = np.asarray(order, dtype=np.int64)
    else:
        by_id = np.array(sorted(range(snap.n), key=lambda i: str(ids[i])), dtype=np.int64)
    key = np.empty(snap.n, dtype=np.int64)
    key[by_id] = np.arange(snap.n)

    def ranks(values: np.ndarray) -> np.ndarray:
        out = np.empty(snap.n, dtype=np.int64)
        out[np.lexsort((key, -values))] = np.arange(1, snap.n + 1)
        return out

    rep_rank, risk_rank = ranks(assessed.reputation), ranks(assessed.risk)
    frame = pd.DataFrame(
        {
            "id": [str(ids[i]) for i in by_id.tolist()],
            "reputation": assessed.reputation[by_id].astype(float),
            "reputation_rank": rep_rank[by_id],
            "risk": assessed.risk[by_id].astype(float),
            "risk_rank": risk_rank[by_id],
            "computed_at": computed_at,
        },
        columns=list(SCORE_COLUMNS),
    )
    return frame, by_id


@answers("analyze")
def analyze_document(env: Env, *, write: bool = False, limit: int = 0, as_of: Any = None,
                     half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``analyze`` document: one row per organisation, riskiest first (with ``write``, the scores
    are stored first; ``written`` says how many)."""
    import numpy as np

    from ..analysis.contagion import assess_risk
    from ..documents import envelope

    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    # The same reputation, exposure and risk as `trustgraph contagion` (one assembly: assess_risk).
    assessed = assess_risk(snap)
    computed_at = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    frame, by_id = _risk_frame(assessed, computed_at)
    written = env.store.write_scores(frame) if write else None
    rank = frame["risk_rank"].to_numpy()
    shown = np.argsort(rank, kind="stable")[:limit or None]
    document = envelope("analyze", as_of=snap.as_of, store=env.store_info(snap if not write else None),
                        parameters={"write": write, "limit": limit, "half_life": half_life})
    document["computed_at"] = computed_at
    document["written"] = written
    document["rows"] = [
        {"rank": k, "id": r["id"], "name": snap.names[int(by_id[i])], "risk": r["risk"], "risk_rank": r["risk_rank"],
         "reputation": r["reputation"], "reputation_rank": r["reputation_rank"],
         "exposure": float(assessed.exposure[int(by_id[i])])}
        for k, (i, r) in enumerate(zip(shown.tolist(), frame.iloc[shown].to_dict("records"), strict=True), start=1)
    ]
    return document


@cli.command()
@click.option("--write", is_flag=True, help="Store the scores (Neo4j: node properties; SQLite: the scores table).")
@limit_option(0, 10_000_000, "organisations, the riskiest first")
@alias("--top", "limit", type=click.IntRange(0, 10_000_000))
@as_of_option
@half_life_option
@format_option
@pass_env
def analyze(env: Env, write: bool, limit: int, as_of: Any, half_life: float, fmt: str | None) -> None:
    """Compute reputation and risk (reputation combined with blacklist exposure) for every organisation.

    With --write the scores, their ranks and the time they were computed are stored, so Neo4j users
    see them in Cypher and Bloom (properties reputation, reputation_rank, risk, risk_rank,
    computed_at on :Organization) and SQLite users in the `scores` table.
    """
    document = analyze_document(env, write=write, limit=limit, as_of=as_of, half_life=half_life)
    if document["written"] is not None:
        note(env, f"wrote {document['written']} scores to {env.settings.describe()}")
    emit_answer(document, fmt, columns=["rank", "id", "name", "risk", "reputation", "reputation_rank"],
                title=f"risk and reputation as of {document['as_of']}, the riskiest first")
