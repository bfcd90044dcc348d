"""Map data (pure) and the generated page as text: what trustgraph intends the browser to draw.

The browser side (drawn counts, search, filters, XSS, PNG) is in test_map_browser.py.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustgraph.errors import ConfigurationError, NotFoundError
from trustgraph.graph import project
from trustgraph.render import layout_positions, map_data, render_html
from trustgraph.render.map import LISTED_MARK, available_colors, embed_json

XSS = "\"><script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">'&amp; \U0001f600 </script>"


def tiny_tables(name_b: str = "Beta Trust") -> dict[str, pd.DataFrame]:
    """Five organisations whose map is worked out by hand in the tests below."""
    orgs = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "name": ["Alpha Foundation", name_b, "Gamma Ltd", "Delta Corp", "Epsilon Shell"],
        "sector": ["foundation", "ngo", "private", "private", "private"],
        "region": ["Europe", "Africa", "Asia", "Asia", None],
        "pretrusted": [True, False, False, False, False],
    })
    refs = pd.DataFrame({
        "id": ["r1", "r2"], "source": ["a", "a"], "target": ["b", "c"], "strength": [0.8, -0.6],
        "date": ["2023-03-01", "2023-06-01"], "recipient": [None, None], "note": [f"note {XSS}", "slow payer"],
    })
    ships = pd.DataFrame({
        "id": ["P1", "P2"], "name": ["Water grant", "Supply platform"], "kind": ["grant", "platform"],
        "start": ["2020-01-01", "2021-01-01"], "end": ["2022-12-31", "2022-06-30"],
        "status": ["completed", "terminated"],
    })
    members = pd.DataFrame({
        "partnership": ["P1", "P1", "P2", "P2", "P2"], "organization": ["a", "b", "b", "c", "d"],
        "role": ["lead", "member", "lead", "member", "member"],
    })
    incidents = pd.DataFrame({
        "id": ["I1"], "reporter": ["c"], "subject": ["d"], "kind": ["quality_failure"], "severity": [3],
        "date": ["2022-05-01"], "partnership": ["P2"], "description": ["Late delivery"],
    })
    actions = pd.DataFrame({"id": ["A1"], "incident": ["I1"], "kind": ["post_mortem"], "date": ["2022-06-01"],
                            "note": ["Joint review"]})
    blacklist = pd.DataFrame({
        "id": ["B1"], "lister": ["a"], "listed": ["e"], "date": ["2023-01-15"], "until": [None],
        "reason": ["Fraud"], "source": ["Notice 1"],
    })
    comms = pd.DataFrame({"id": ["C1", "C2"], "a": ["a", "b"], "b": ["b", "a"], "date": ["2023-02-01", "2023-04-01"],
                          "channel": ["meeting", "call"]})
    return {"organizations": orgs, "referrals": refs, "partnerships": ships, "partnership_members": members,
            "incidents": incidents, "incident_actions": actions, "blacklist": blacklist, "communications": comms}


@pytest.fixture()
def tiny() -> tuple[nx.DiGraph, dict[str, pd.DataFrame]]:
    tables = tiny_tables()
    return project(tables), tables


def edge_set(m: object) -> set[tuple[str, str, str, str]]:
    return {(e["from"], e["to"], e["kind"], e["sign"]) for e in m.edges}  # type: ignore[attr-defined]


def test_default_map_draws_every_tie_of_the_default_kinds(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector")
    assert [n["id"] for n in m.nodes][-1] == "e"  # listed parties are drawn last (on top)
    assert sorted(n["id"] for n in m.nodes) == ["a", "b", "c", "d", "e"]
    # By hand: P1 (completed) a—b; P2 (terminated) b—c, b—d, c—d; r1 a→b; r2 (warning) a→c; I1 c→d; B1 a→e.
    assert edge_set(m) == {
        ("a", "b", "partnership", "+"),
        ("b", "c", "partnership", "-"), ("b", "d", "partnership", "-"), ("c", "d", "partnership", "-"),
        ("a", "b", "referral", "+"), ("a", "c", "referral", "-"),
        ("c", "d", "incident", "-"), ("a", "e", "listing", "-"),
    }
    assert len({e["id"] for e in m.edges}) == len(m.edges) == 8
    assert not m.physics and m.view == "network" and m.omitted == 0 and m.total_nodes == 5 and m.notes == []
    assert m.query == "whole network"


def test_negative_ties_are_red_and_dashed_positive_ones_solid(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector")
    for e in m.edges:
        style = m.styles[e["kind"] + e["sign"]]
        if e["sign"] == "-":
            assert style["dashes"], e
            assert style["color"] in ("#d62728", "#b2182b", "#3d0008")
        else:
            assert style["dashes"] is False
    arrows = {e["kind"]: m.styles[e["kind"] + e["sign"]]["arrow"] for e in m.edges}
    assert arrows == {"partnership": False, "referral": True, "incident": True, "listing": True}
    assert {(x["kind"], x["sign"], x["count"]) for x in m.legend["edges"]} == {
        ("partnership", "+", 1), ("partnership", "-", 3), ("referral", "+", 1), ("referral", "-", 1),
        ("incident", "-", 1), ("listing", "-", 1)}


def test_listed_party_is_unmistakable(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector")
    e = next(n for n in m.nodes if n["id"] == "e")
    others = [n for n in m.nodes if n["id"] != "e"]
    assert e["listed"] and e["shape"] == "diamond" and e["label"].startswith(LISTED_MARK)
    assert e["color"]["border"] == "#c00018" and e["borderWidth"] > max(n["borderWidth"] for n in others)
    assert any(line.startswith("BLACKLISTED by Alpha Foundation on 2023-01-15") and "Fraud [Notice 1]" in line
               for line in e["info"])
    assert all(not n["listed"] and n["shape"] == "dot" for n in others)
    assert {"kind": "listed", "count": 1}.items() <= m.legend["markers"][0].items()


def test_tooltips_carry_the_evidence_as_plain_text(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector")
    by = {(e["from"], e["to"], e["kind"]): e for e in m.edges}
    ref = by[("a", "b", "referral")]
    assert ref["info"] == [f"2023-03-01  strength +0.80  \u201cnote {XSS}\u201d"]
    e = G["a"]["b"]
    assert ref["trust"] == [["a", "b", round(e["trust"], 4), round(e["uncertainty"], 4), e["evidence"], e["last"]]]
    inc = by[("c", "d", "incident")]["info"]
    assert inc == ["2022-05-01  quality failure, severity 3: Late delivery",
                   "    then post mortem on 2022-06-01: Joint review"]
    ship = by[("a", "b", "partnership")]
    assert ship["info"] == ["Water grant (grant, completed) 2020-01-01 \u2013 2022-12-31"]
    assert [t[:2] for t in ship["trust"]] == [["a", "b"], ["b", "a"]]  # a partnership is evidence both ways
    assert ship["intervals"] == [["2020-01-01", "2022-12-31"]]
    assert by[("a", "e", "listing")]["intervals"] == [["2023-01-15", G.graph["as_of"]]]
    assert m.date_range == ["2020-01-01", G.graph["as_of"]]


def test_edge_kinds_select_what_is_drawn(tiny):
    G, tables = tiny
    only = map_data(G, tables, color="sector", edge_kinds=["referral"])
    assert edge_set(only) == {("a", "b", "referral", "+"), ("a", "c", "referral", "-")}
    assert [x["kind"] for x in only.legend["edges"]] == ["referral", "referral"]
    comms = map_data(G, tables, color="sector", edge_kinds=["communication"])
    assert edge_set(comms) == {("a", "b", "communication", "+")}  # two contacts, both directions: one tie
    assert comms.edges[0]["count"] == 2 and comms.edges[0]["info"][0] == "2 contacts, 2023-02-01 \u2013 2023-04-01"
    with pytest.raises(ConfigurationError):
        map_data(G, tables, edge_kinds=["gossip"])


def test_focus_and_hops_select_the_neighbourhood(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector", focus="a", hops=1)
    assert sorted(n["id"] for n in m.nodes) == ["a", "b", "c", "e"]  # d is two ties away
    assert next(n for n in m.nodes if n["id"] == "a")["role"] == "focus"
    assert all(e["from"] != "d" and e["to"] != "d" for e in m.edges)
    assert m.query == "neighbourhood of Alpha Foundation (1 hop)"
    zero = map_data(G, tables, color="sector", focus="d", hops=0)
    assert [n["id"] for n in zero.nodes] == ["d"] and zero.edges == []
    with pytest.raises(NotFoundError):
        map_data(G, tables, focus="nobody")


def test_max_nodes_keeps_the_most_relevant_and_says_so(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector", max_nodes=2)
    # The listed party first, then the best connected: a and b have four ties each, a wins on id.
    assert sorted(n["id"] for n in m.nodes) == ["a", "e"]
    assert edge_set(m) == {("a", "e", "listing", "-")}
    assert m.total_nodes == 5 and m.omitted == 3
    assert m.notes == ["Showing 2 of 5 organisations (max nodes 2): kept listed parties, then the best connected; "
                       "3 left out."]
    focused = map_data(G, tables, color="sector", focus="d", hops=2, max_nodes=2)
    # The focus, then the nearest: b and c are one tie from d with four ties each; b wins on id.
    assert sorted(n["id"] for n in focused.nodes) == ["b", "d"]


def test_chain_is_highlighted(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector", chain=["a", "b"], chain_ends=("a", "b"))
    chain = [e for e in m.edges if e["kind"] == "chain"]
    assert len(chain) == 1 and (chain[0]["from"], chain[0]["to"]) == ("a", "b")
    assert chain[0]["label"] == f"{G['a']['b']['trust']:.2f}"
    assert {n["id"] for n in m.nodes if n["role"] == "chain"} == {"a", "b"}
    assert m.query.startswith("strongest vouching chain Alpha Foundation \u2192 Beta Trust (strength ")
    none = map_data(G, tables, color="sector", chain=[], chain_ends=("d", "a"))
    assert none.notes == ["No vouching chain found from Delta Corp to Alpha Foundation."]
    assert all(e["kind"] != "chain" for e in none.edges)


def test_colour_and_size_measures(tiny):
    G, tables = tiny
    sector = map_data(G, tables, color="sector")
    assert {i["label"] for i in sector.legend["color"]["items"]} == {"private", "foundation", "ngo"}
    region = map_data(G, tables, color="region")
    e = next(n for n in region.nodes if n["id"] == "e")
    assert e["category"] == "unknown"
    community = map_data(G, tables, color="community")
    assert all(n["category"].startswith("community ") for n in community.nodes)
    sizes = {n["id"]: n["size"] for n in sector.nodes}
    assert sizes["b"] == max(sizes.values())  # b has evidence with a, c and d
    if "reputation" in available_colors():
        rep = map_data(G, tables, color="reputation", size="reputation")
        assert rep.legend["color"]["title"].startswith("Reputation")
        assert any(line.startswith("reputation ") for line in rep.nodes[0]["info"])
    with pytest.raises(ConfigurationError):
        map_data(G, tables, color="astrology")


def test_a_missing_score_module_is_not_offered(tiny, monkeypatch):
    G, tables = tiny
    monkeypatch.setitem(sys.modules, "trustgraph.analysis.contagion", None)
    assert "risk" not in available_colors()
    with pytest.raises(ConfigurationError, match="not available"):
        map_data(G, tables, color="risk")
    m = map_data(G, tables, color="sector")  # tooltips simply lack the risk line
    assert not any(line.startswith("risk ") for n in m.nodes for line in n["info"])


def test_map_data_does_not_modify_graph_or_tables(tiny):
    G, tables = tiny
    G_before = copy.deepcopy(G)
    tables_before = {k: v.copy(deep=True) for k, v in tables.items()}
    map_data(G, tables, color="community", chain=["a", "b"], chain_ends=("a", "b"), focus="a")
    assert nx.utils.graphs_equal(G, G_before)
    assert dict(G.nodes(data=True)) == dict(G_before.nodes(data=True))
    assert list(G.edges(data=True)) == list(G_before.edges(data=True))
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, tables_before[name])


def test_large_maps_get_positions_and_no_physics(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector", physics_max_nodes=3)
    assert not m.physics and m.options["physics"]["enabled"] is False
    assert m.options["edges"]["smooth"] is False and all("smooth" not in e for e in m.edges)
    xy = {(n["x"], n["y"]) for n in m.nodes}
    assert len(xy) == len(m.nodes)  # no two nodes on one spot
    again = map_data(G, tables, color="sector", physics_max_nodes=3)
    assert [(n["x"], n["y"]) for n in again.nodes] == [(n["x"], n["y"]) for n in m.nodes]  # seeded


def test_layout_is_seeded_finite_and_separates_components():
    G = nx.connected_caveman_graph(6, 8)
    G.add_edges_from([(100, 101), (102, 103)])
    G.add_node(200)
    nodes = list(G.nodes)
    one = layout_positions(nodes, G.edges, seed=3)
    assert one == layout_positions(nodes, G.edges, seed=3)
    assert set(one) == set(nodes)
    xs = [p for xy in one.values() for p in xy]
    assert all(abs(v) < 1e6 for v in xs)
    # The isolated node is farther from the big component's nodes than its members are from each other.
    dist = min(((one[200][0] - one[v][0]) ** 2 + (one[200][1] - one[v][1]) ** 2) ** 0.5 for v in range(48))
    assert dist > 45.0
    assert layout_positions([], []) == {}


# --------------------------------------------------------------------------------------------------
# The page as text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.meta: list[dict[str, str | None]] = []
        self._in: dict[str, str | None] | None = None
        self._text: list[str] = []
        self.title = ""
        self._title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "formaction", "poster", "data")]
        if tag == "script":
            self._in, self._text = a, []
        if tag == "meta":
            self.meta.append(a)
        self._title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in is not None:
            self.scripts.append((self._in, "".join(self._text)))
            self._in = None
        self._title = False

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)
        if self._title:
            self.title += data


def test_page_is_self_contained_and_escapes_data():
    tables = tiny_tables(name_b=XSS)
    G = project(tables)
    m = map_data(G, tables, color="sector", focus="b")
    page = render_html(m)
    parsed = _Page()
    parsed.feed(page)
    assert parsed.urls == ["data:,"]  # the favicon placeholder only: nothing from the network
    assert "http://" not in "".join(parsed.urls) and "https://" not in "".join(parsed.urls)
    kinds = [(a.get("type"), a.get("id")) for a, _ in parsed.scripts]
    assert kinds == [("application/json", "tg-data"), ("application/json", "tg-details"), (None, None), (None, "tg-app")]
    assert parsed.scripts[1][1] == "null"  # a small map has its details in the data
    # The payload never appears as markup: only escaped, inside the JSON block and the <title>.
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert json.loads(parsed.scripts[0][1]) == json.loads(json.dumps(m.payload()))
    assert XSS in parsed.title
    # The Content-Security-Policy allows exactly the two executable scripts.
    csp = next(x["content"] for x in parsed.meta if x.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    for _, body in parsed.scripts[2:]:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "connect-src 'none'" in csp
    assert page.encode("utf-8").decode("utf-8") == page


@given(st.text())
def test_embedded_json_cannot_break_out_of_its_script(text):
    out = embed_json({"name": text, "list": [text]})
    assert "<" not in out and ">" not in out and "&" not in out
    assert json.loads(out) == {"name": text, "list": [text]}


# --------------------------------------------------------------------------------------------------
# The command


def test_map_command_writes_the_sample_map(run_cli, sample_store, tmp_path):
    out = tmp_path / "map.html"
    code, stdout, stderr = run_cli(["--store", str(sample_store.path), "map", "--out", str(out)])
    assert code == 0, stderr
    assert stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "trustgraph map \u2014 whole network" in page
    assert stderr.startswith(f"wrote {out}: 96 organisations, ")


def test_map_command_aggregate_over(run_cli, sample_store, tmp_path):
    store = ["--store", str(sample_store.path)]
    out = tmp_path / "m.html"
    code, _, stderr = run_cli([*store, "map", "--out", str(out), "--aggregate-over", "50", "--color", "sector"])
    assert code == 0
    assert 'id="tg-data">' in (page := out.read_text(encoding="utf-8")) and 'type="application/gzip;base64"' in page
    first = stderr.splitlines()[0]
    assert first.startswith("note: Over 50 organisations: the map opens on its ") and "communities" in first
    code, _, stderr = run_cli([*store, "map", "--out", str(out), "--aggregate-over", "0", "--color", "sector"])
    assert code == 0 and "opens on its" not in stderr
    assert 'type="application/json" id="tg-data"' in out.read_text(encoding="utf-8")
    code, _, stderr = run_cli([*store, "map", "--out", str(out), "--aggregate-over", "-1"])
    assert code == 2 and "--aggregate-over" in stderr


def test_map_command_max_nodes_note_and_errors(run_cli, sample_store, tmp_path):
    store = ["--store", str(sample_store.path)]
    out = str(tmp_path / "m.html")
    code, _, stderr = run_cli([*store, "map", "--out", out, "--max-nodes", "5", "--color", "sector"])
    assert code == 0
    assert stderr.splitlines()[0] == ("note: Showing 5 of 96 organisations (max nodes 5): kept listed parties, "
                                      "then the best connected; 91 left out.")
    code, _, stderr = run_cli([*store, "map", "--out", out, "--focus", "no such org"])
    assert code == 4 and stderr == "error: no organisation with id or name 'no such org' (search with `trustgraph orgs TEXT`)\n"
    code, _, stderr = run_cli([*store, "map", "--out", out, "--edges", "partnership,gossip"])
    assert code == 2 and "gossip: choose from partnership" in stderr
    code, _, stderr = run_cli([*store, "map", "--out", out, "--chain", "ORG001", "ORG045", "--color", "sector"])
    assert code == 0
    page = Path(out).read_text(encoding="utf-8")
    assert "strongest vouching chain Brugwerk Foundation \u2192 Anand Solar Solutions Pvt Ltd" in page


def test_map_max_hops_and_its_old_name(run_cli, sample_store, tmp_path):
    """--max-hops is the radius; --hops, its old name, still works for one release (same drawing, a note)."""
    store = ["--store", str(sample_store.path)]

    def drawn(*options: str) -> tuple[int, str]:
        code, _, stderr = run_cli([*store, "map", "--out", "-", "--focus", "ORG019", *options])
        return code, stderr

    code, new = drawn("--max-hops", "1")
    assert code == 0, new
    code, old = drawn("--hops", "1")
    assert code == 0 and "--hops is now --max-hops" in old
    assert old.splitlines()[-1] == new.splitlines()[-1]  # "wrote stdout: N organisations, M ties"
    assert new.splitlines()[-1] != drawn("--max-hops", "2")[1].splitlines()[-1]
    code, stderr = drawn("--hops", "1", "--max-hops", "1")
    assert code == 2 and "give one of them" in stderr
    code, _, stderr = run_cli([*store, "map", "--out", "-", "--max-hops", "1"])
    assert code == 2 and "--max-hops" in stderr
    assert "--hops" not in run_cli(["map", "--help"])[1]


def test_readable_layouts_rings_spine_and_communities():
    from trustgraph.render.layout import community_positions, radial_positions, spine_positions

    # Rings: the focus at the centre, every hop-2 node farther out than every hop-1 node.
    G = nx.balanced_tree(3, 2)
    dist = nx.single_source_shortest_path_length(G, 0)
    pos = radial_positions(list(G), G.edges, dist)
    assert pos[0] == (0.0, 0.0)
    r = {v: (pos[v][0] ** 2 / 1.4**2 + pos[v][1] ** 2) ** 0.5 for v in G}
    assert max(r[v] for v in G if dist[v] == 1) < min(r[v] for v in G if dist[v] == 2)
    # Big rings stay apart: 300 parties two hops out and 320 three hops out (radii about 2,800), at
    # least an eighth of the inner radius between the rings (1.6 spacings, 112, before).
    big = {"f": 0, **{f"a{i}": 1 for i in range(10)}, **{f"b{i}": 2 for i in range(300)},
           **{f"c{i}": 3 for i in range(320)}}
    pos = radial_positions(list(big), [], big)
    r = {v: round((pos[v][0] ** 2 / 1.4**2 + pos[v][1] ** 2) ** 0.5, 6) for v in big}
    two, three = {r[v] for v in big if big[v] == 2}, {r[v] for v in big if big[v] == 3}
    assert len(two) == len(three) == 1 and min(three) - max(two) >= max(two) / 8 > 300
    # Spine: the chain on y = 0, left to right; context off the spine.
    H = nx.path_graph(4)
    H.add_edges_from([(1, "x"), (2, "y"), ("y", "z")])
    pos = spine_positions(list(H), H.edges, [0, 1, 2, 3])
    assert [pos[v][1] for v in range(4)] == [0.0] * 4 and sorted(range(4), key=lambda v: pos[v][0]) == [0, 1, 2, 3]
    assert all(pos[v][1] != 0 for v in "xyz")
    # Communities: six cliques of eight, each member nearer its own clique's centre than any other's.
    C = nx.connected_caveman_graph(6, 8)
    comm = {v: v // 8 for v in C}
    one = community_positions(list(C), C.edges, comm, seed=2)
    assert one == community_positions(list(C), C.edges, comm, seed=2)
    centre = {c: tuple(sum(one[v][i] for v in C if comm[v] == c) / 8 for i in (0, 1)) for c in range(6)}
    for v in C:
        d = {c: (one[v][0] - x) ** 2 + (one[v][1] - y) ** 2 for c, (x, y) in centre.items()}
        assert min(d, key=d.get) == comm[v]


def test_views_rank_and_fade(tiny):
    G, tables = tiny
    m = map_data(G, tables, color="sector", focus="b", hops=2)
    assert m.view == "focus"
    by = {n["id"]: n for n in m.nodes}
    assert by["b"]["rank"] == 0 and by["b"]["hop"] == 0 and (by["b"]["x"], by["b"]["y"]) == (0.0, 0.0)
    assert {n["id"]: n["opacity"] for n in m.nodes if n["hop"] == 2} and all(
        n["opacity"] == 0.55 for n in m.nodes if n["hop"] == 2)
    assert sorted(n["rank"] for n in m.nodes) == list(range(len(m.nodes)))
    c = map_data(G, tables, color="sector", chain=["a", "b", "c"], chain_ends=("a", "c"))
    assert c.view == "chain" and {n["id"] for n in c.nodes if n["opacity"] == 1.0} == {"a", "b", "c"}
    assert map_data(G, tables, color="sector").view == "network"


def test_big_map_page_packs_its_data_and_details():
    """An aggregated map's data and details are gzip-compressed JSON in base64: the same values, no markup."""
    import gzip

    from test_map_browser import synthetic_tables

    tables = synthetic_tables(300)
    tables["organizations"].loc[3, "name"] = XSS
    m = map_data(project(tables), tables, color="sector", aggregate_over=100)
    assert m.aggregate and sum(c["size"] for c in m.aggregate["communities"]) == 300
    assert [c["community"] for c in m.aggregate["communities"]] == sorted({n["community"] for n in m.nodes})
    page = render_html(m)
    parsed = _Page()
    parsed.feed(page)
    kinds = [(a.get("type"), a.get("id")) for a, _ in parsed.scripts]
    assert kinds[:2] == [("application/gzip;base64", "tg-data"), ("application/gzip;base64", "tg-details")]
    core, details = (json.loads(gzip.decompress(base64.b64decode(text))) for _, text in parsed.scripts[:2])
    whole = json.loads(json.dumps(m.payload(), default=str))
    assert core["nodes"] == [{k: v for k, v in n.items() if k != "info"} for n in whole["nodes"]]
    assert core["edges"] == [{k: v for k, v in e.items() if k not in ("info", "trust")} for e in whole["edges"]]
    assert core["aggregate"] == whole["aggregate"] and core["trust_hops"] == []
    assert details["node_info"] == [n["info"] for n in whole["nodes"]]
    assert details["edge_trust"] == [e["trust"] for e in whole["edges"]]
    assert details["trust_hops"] == whole["trust_hops"]
    assert core["nodes"][3]["name"] == details["node_info"][3][0] == XSS and "<script>window.__xss" not in page



def test_focus_map_details_carry_the_pairs_trust_factors(run_cli, sample_store, tmp_path):
    """A focus map's direct partners show what `trustgraph factors PARTNER --for FOCUS` answers."""
    store = ["--store", str(sample_store.path)]
    out = tmp_path / "focus.html"
    code, _, stderr = run_cli([*store, "map", "--out", str(out), "--focus", "ORG001", "--max-hops", "2"])
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', page, re.S)[1])
    with_factors = {n["id"]: n["info"][-1] for n in data["nodes"] if n["info"][-1].startswith("trust factors for")}
    first_hop = {n["id"] for n in data["nodes"] if n["hop"] == 1}
    assert with_factors and set(with_factors) == first_hop  # the sample's ORG001 has fewer than the cap
    for partner in sorted(with_factors)[:3]:
        code, stdout, stderr = run_cli([*store, "factors", partner, "--for", "ORG001", "--format", "json"])
        assert code == 0, stderr
        levels = {r["factor"]: r["level"] for r in json.loads(stdout)["rows"]}
        for factor, level in levels.items():
            shown = "unknown" if level is None else f"{level:.2f}"
            assert f"{factor.replace('_', ' ')} {shown}" in with_factors[partner]


def test_exposure_sources_that_round_to_zero_are_neither_listed_nor_drawn(sample_tables):
    """A listed party whose contribution rounds to ±0.000 is not a "main listed source": the sample's
    risk map listed 24 such lines ("exposed to … (-0.000)") and drew 3 such paths in purple."""
    m = map_data(project(sample_tables), sample_tables, color="risk")
    html = render_html(m)
    assert "exposed to" in html and "(+0.000)" not in html and "(-0.000)" not in html
    assert m.exposure and all(x["contribution"] > 0.0005 for paths in m.exposure.values() for x in paths)


def test_a_reputation_map_with_nobody_pre_trusted_says_why_every_party_is_grey(sample_tables):
    tables = {k: v.copy() for k, v in sample_tables.items()}
    tables["organizations"]["pretrusted"] = False
    m = map_data(project(tables), tables, color="reputation")
    assert any("nobody is pre-trusted" in n for n in m.notes), m.notes
    assert not any("nobody is pre-trusted" in n for n in map_data(project(sample_tables), sample_tables).notes)


def test_an_empty_store_draws_a_page_that_says_so(tmp_path):
    tables = {"organizations": pd.DataFrame({"id": pd.Series([], dtype=object), "name": pd.Series([], dtype=object)})}
    m = map_data(project(tables), tables)
    assert m.nodes == [] and not m.physics
    assert any(n.startswith("No organisation to draw: the store holds none") for n in m.notes), m.notes
