"""Big networks in real headless Chromium (issue 17, item 4): a map over its cap opens on its communities.

A whole-network map of more organisations than ``aggregate_over`` opens with one node per Louvain
community (sized by its members) and one line per pair of communities with ties between them; a
click on a community draws its organisations and the ties among them, "← All communities" brings
the overview back; search, the chain finder, the filters and the exports keep working. The cap is
lowered (a 600-party network aggregated over 150) so that each test takes a second or two; the
20,000-party page is measured by ``benchmarks/map_bench.py``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from test_map import XSS
from test_map_browser import assert_clean, browser, dom_point, drawn, open_map, synthetic_tables  # noqa: F401
from test_map_layout_browser import overlaps

from trustgraph.graph import project
from trustgraph.render import MapData, map_data

pytestmark = pytest.mark.browser

N, CAP = 600, 150
COMMUNITY = "\u2063community "


@pytest.fixture(scope="module")
def big() -> tuple[dict[str, pd.DataFrame], MapData]:
    tables = synthetic_tables(N)
    tables["organizations"].loc[5, "name"] = XSS  # a name shown in a community's tooltip ("around: …")
    return tables, map_data(project(tables), tables, color="sector", aggregate_over=CAP, seed=1)


def expected_overview(m: MapData) -> tuple[dict[int, int], set[tuple[int, int]]]:
    """Members per community, and the pairs of communities joined by at least one tie."""
    community = {n["id"]: n["community"] for n in m.nodes}
    members = Counter(community.values())
    links = {tuple(sorted((community[e["from"]], community[e["to"]]))) for e in m.edges
             if community[e["from"]] != community[e["to"]]}
    return dict(members), links  # type: ignore[return-value]


def inside(m: MapData, c: int) -> tuple[set[Any], int]:
    """A community's members and the lines (pairs of organisations) among them."""
    ids = {n["id"] for n in m.nodes if n["community"] == c}
    pairs = {frozenset((e["from"], e["to"])) for e in m.edges if e["from"] in ids and e["to"] in ids}
    return ids, len(pairs)


def level(page: Any) -> Any:
    return page.evaluate("trustgraphMap.level()")


def test_big_map_opens_on_its_communities(open_map, big):  # noqa: F811
    _, m = big
    members, links = expected_overview(m)
    assert m.aggregate["over"] == CAP and len(members) == len(m.aggregate["communities"]) >= 5
    assert {c["community"]: c["size"] for c in m.aggregate["communities"]} == members
    assert sum(members.values()) == N
    page, _ = open_map(m)
    assert level(page) == "communities"
    assert drawn(page) == {"nodes": len(members), "edges": len(links)}
    # Every community node is sized by its members; the labels say how many and never overlap.
    labels = page.evaluate("trustgraphMap.labels")
    assert len(labels) >= len(members) // 2 and overlaps(labels) == []
    assert all(" \u00b7 " in b["text"] for b in labels)
    status = page.evaluate("document.getElementById('tg-status').textContent")
    assert status.startswith(f"{len(members)} communities of {N} organisations")
    assert any("opens on its" in n for n in m.notes)
    # The search list (20,000 options cost a third of a second) is filled when a name field is first used.
    assert page.evaluate("document.querySelectorAll('#tg-names option').length") == 0
    page.evaluate("document.getElementById('tg-search').focus()")
    assert page.evaluate("document.querySelectorAll('#tg-names option').length") == N
    # The page is one offline file whose data is compressed (and nothing ran from a name).
    assert page.evaluate("document.getElementById('tg-data').type") == "application/gzip;base64"
    assert page.evaluate("window.__xss") is None
    assert_clean(page)


def test_click_drills_in_and_back_restores_the_overview(open_map, big):  # noqa: F811
    _, m = big
    members, links = expected_overview(m)
    page, _ = open_map(m)
    c = 2
    ids, lines = inside(m, c)
    page.click(*dom_point(page, COMMUNITY + str(c)))
    page.wait_for(f"trustgraphMap.level() === {c}")
    assert drawn(page) == {"nodes": len(ids), "edges": lines}
    assert set(page.evaluate("Object.keys(trustgraphMap.network.getPositions())")) == ids
    # The members sit where the layout put them, fitted to the canvas, labelled without overlap.
    assert page.evaluate("document.getElementById('tg-back').hidden") is False
    assert overlaps(page.evaluate("trustgraphMap.labels")) == []
    # A click on a member highlights its neighbourhood among the drawn, as on any map.
    some = sorted(ids)[0]
    assert set(page.evaluate(f"trustgraphMap.select({json.dumps(some)}).nodes")) <= ids
    # The back button (a real click) restores the overview exactly.
    box = page.evaluate("(function () { var r = document.getElementById('tg-back').getBoundingClientRect();"
                        " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    page.click(*box)
    page.wait_for("trustgraphMap.level() === 'communities'")
    assert drawn(page) == {"nodes": len(members), "edges": len(links)}
    assert page.evaluate("document.getElementById('tg-back').hidden") is True
    assert_clean(page)


def test_search_chains_filters_and_exports_use_every_organisation(open_map, big):  # noqa: F811
    tables, m = big
    page, _ = open_map(m)
    # The same chains as on the map drawn whole (the finder works on the page's data, not the drawing).
    whole, _ = open_map(map_data(project(tables), tables, color="sector", aggregate_over=None, seed=1))
    assert level(whole) == "all" and whole.evaluate("trustgraphMap.complete") is True
    # A big map reads its trust data and tooltips after the first frame; until then the finder says so.
    page.wait_for("trustgraphMap.complete")
    assert page.evaluate("trustgraphMap.timings.details") >= page.evaluate("trustgraphMap.readyMs")
    tip = page.evaluate("trustgraphMap.data.nodes[0].info")
    assert tip[0] == m.nodes[0]["name"] and tip == m.nodes[0]["info"]
    pairs = [("O00001", "O00045"), ("O00010", "O00300"), ("O00123", "O00007")]
    for a, b in pairs:
        assert page.evaluate(f"trustgraphMap.chains('{a}', '{b}', 3)") == whole.evaluate(
            f"trustgraphMap.chains('{a}', '{b}', 3)")
    found = page.evaluate("trustgraphMap.findChains('O00001', 'O00045', 1)")
    text = page.evaluate("document.getElementById('tg-chain-result').textContent")
    if found:
        assert "Drawn through the communities it passes" in text
    # A filter recounts the communities: their labels count the organisations it leaves.
    ngo = [n for n in m.nodes if n["sector"] == "ngo"]
    assert page.evaluate("trustgraphMap.filter({sector: 'ngo'})") == {
        "nodes": len(ngo), "ties": sum(1 for e in m.edges if {e["from"], e["to"]} <= {n["id"] for n in ngo})}
    shown = page.evaluate("trustgraphMap.data.aggregate.communities.length")
    assert shown == len(m.aggregate["communities"])
    counted = page.evaluate(
        "trustgraphMap.nodes.get().filter(function (n) { return !n.hidden; }).map(function (n) { return n.id; })")
    assert len(counted) == len({n["community"] for n in ngo})
    # Search finds an organisation inside a community: the page drills in and selects it.
    target = next(n for n in ngo if n["community"] == 3)
    assert page.evaluate(f"trustgraphMap.search({json.dumps(target['id'])})") == target["id"]
    assert level(page) == 3
    ids = {n["id"] for n in ngo if n["community"] == 3}
    rows = list(csv.DictReader(io.StringIO(page.evaluate("trustgraphMap.exportText('parties.csv')"))))
    assert {r["id"] for r in rows} == ids
    assert page.evaluate("trustgraphMap.shown().nodes") == len(ids)
    assert_clean(page)
    assert_clean(whole)


def test_small_maps_are_not_aggregated(big):
    tables, _ = big
    G = project(tables)
    assert map_data(G, tables, color="sector", aggregate_over=N).aggregate == {}
    assert map_data(G, tables, color="sector", focus="O00001", aggregate_over=10).aggregate == {}
