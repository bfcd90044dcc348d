"""Readable layouts in real headless Chromium (issue 17, item 1): what a reader sees on open.

The whole sample network, a focus view and a chain view, each in a 1400 × 900 window: the drawn
network (node discs, from vis-network's own positions and the view's scale) covers at least 70 % of
the canvas, the labels drawn on open overlap nowhere (their boxes come from the page, their widths
are measured again here with the same font), the focus sits within 10 % of the canvas centre, far
hops and a chain's context are faded, and the ties of one pair are one line. The picture at
``trustgraphMap.ready`` is the one that stays: the page is ready on a frame drawn at its final size,
not on one that vis-network resizes (and whose labels the camera leaves behind) a frame later.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from headless_chromium import Chromium
from test_map_browser import assert_clean, browser, open_map  # noqa: F401  (fixtures)

from trustgraph.analysis.chains import vouching_chains
from trustgraph.graph import project
from trustgraph.render import MapData, map_data, render_html

pytestmark = pytest.mark.browser

GEOMETRY = """(function () {
  var n = trustgraphMap.network, c = document.querySelector('#tg-map canvas').getBoundingClientRect();
  var pos = n.getPositions(), s = n.getScale(), lo = [1e9, 1e9], hi = [-1e9, -1e9], at = {};
  trustgraphMap.data.nodes.forEach(function (d) {
    var p = n.canvasToDOM(pos[d.id]), r = (d.size + (d.borderWidth || 0) / 2) * s; at[d.id] = [p.x, p.y, r];
    lo = [Math.min(lo[0], p.x - r), Math.min(lo[1], p.y - r)]; hi = [Math.max(hi[0], p.x + r), Math.max(hi[1], p.y + r)];
  });
  var probe = document.createElement('canvas').getContext('2d');
  var labels = trustgraphMap.labels.map(function (b) { probe.font = b.font;
    return Object.assign({ measured: probe.measureText(b.text).width }, b); });
  return { canvas: [c.width, c.height], box: [lo[0], lo[1], hi[0], hi[1]], at: at, labels: labels };
})()"""


# Run in the page before its own script: the geometry and the canvas at the moment the page sets
# trustgraphMap.ready, kept in window.tgAtReady (the test then reads the picture once it has stayed).
AT_READY = """(function () {
  var api;
  Object.defineProperty(window, "trustgraphMap", { configurable: true, get: function () { return api; },
    set: function (value) {
      api = value; var ready = value.ready;
      Object.defineProperty(value, "ready", { configurable: true, get: function () { return ready; },
        set: function (now) {
          if (now && !ready) {
            var c = document.querySelector("#tg-map canvas");
            window.tgAtReady = { geometry: /*GEOMETRY*/, canvas: [c.width, c.height, c.clientWidth, c.clientHeight] };
          }
          ready = now;
        } });
    } });
})();""".replace("/*GEOMETRY*/", GEOMETRY)
NEXT_FRAMES = "new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); })"


def geometry(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(GEOMETRY)
    return result


def coverage(g: dict[str, Any]) -> float:
    (w, h), (x0, y0, x1, y1) = g["canvas"], g["box"]
    return max(0.0, min(x1, w) - max(x0, 0)) * max(0.0, min(y1, h) - max(y0, 0)) / (w * h)


def overlaps(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                    and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]):
                out.append((a["text"], b["text"]))
    return out


@pytest.fixture(scope="module")
def views(sample_tables: dict[str, pd.DataFrame]) -> dict[str, MapData]:
    G = project(sample_tables)
    chain = list(vouching_chains(G, "ORG001", "ORG045", k=1)[0].path)
    return {
        "network": map_data(G, sample_tables),
        "focus": map_data(G, sample_tables, focus="ORG045"),
        "chain": map_data(G, sample_tables, chain=chain, chain_ends=("ORG001", "ORG045")),
    }


def beside(b: dict[str, Any], x: float, y: float, r: float, w: float, h: float) -> bool:
    """Is label box ``b`` right under the disc at (x, y) of radius r, else right above it, right of it
    or left of it, or a line further below or above (6 px of slack; a box at the canvas edge has
    slid along it)?"""
    left, top, right, bottom, line = b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"], b["height"]
    across = left - 1 <= x <= right + 1 or left in (0, w - b["width"])
    level = top - 1 <= y <= bottom + 1 or top in (0, h - b["height"])
    return bool((across and (0 <= top - (y + r) <= 6 + line or 0 <= (y - r) - bottom <= 6 + line))
                or (level and (0 <= left - (x + r) <= 6 or 0 <= (x - r) - right <= 6)))


@pytest.mark.parametrize("view", ["network", "focus", "chain"])
def test_view_fills_the_canvas_and_labels_never_overlap(open_map, views, view):  # noqa: F811
    m = views[view]
    assert m.view == view and not m.physics
    page, _ = open_map(m)
    g = geometry(page)
    assert coverage(g) >= 0.70, coverage(g)
    labels = g["labels"]
    assert len(labels) >= min(15, len(m.nodes) // 3)
    assert overlaps(labels) == []
    w, h = g["canvas"]
    for b in labels:
        # The box holds the text as the browser measures it, inside the canvas.
        assert b["width"] >= b["measured"] and 0 <= b["x"] and b["x"] + b["width"] <= w + 0.01
        assert 0 <= b["y"] and b["y"] + b["height"] <= h + 0.01
        if b["id"] in g["at"]:  # a node's label sits right under its disc, else above or beside it
            assert beside(b, *g["at"][b["id"]], w, h), b
    shown = {b["id"] for b in labels}
    # Labels go by rank: the most important party is always labelled.
    assert min(m.nodes, key=lambda n: n["rank"])["id"] in shown
    assert_clean(page)


@pytest.mark.parametrize("view", ["network", "focus", "chain"])
def test_the_picture_at_ready_is_the_one_that_stays(browser: Chromium, tmp_path: Path, views, view):  # noqa: F811
    # The toolbar and the side panel are filled after vis-network builds its canvas, so the map's
    # height changes under it; a page ready before the canvas caught up had its camera moved one frame
    # later, under labels already placed (read in that frame, labels sat up to 33 px below their discs).
    path = tmp_path / f"{view}.html"
    path.write_text(render_html(views[view]), encoding="utf-8")
    page = browser.new_page()
    try:
        page.send("Page.addScriptToEvaluateOnNewDocument", source=AT_READY)
        page.goto(path.as_uri())
        at_ready = page.wait_for("window.tgAtReady")
        page.evaluate(NEXT_FRAMES, await_promise=True)
        now = geometry(page)
        width, height, css_width, css_height = at_ready["canvas"]
        assert (width, height) == (css_width, css_height), "ready on a canvas not of its container's size"
        before = at_ready["geometry"]
        assert before["canvas"] == now["canvas"]
        moved = max(abs(a - b) for i in now["at"] for a, b in zip(before["at"][i], now["at"][i]))
        assert moved < 0.01, f"the view moved by {moved:.1f} px after the page was ready"
        assert [(b["id"], b["x"], b["y"]) for b in before["labels"]] == [(b["id"], b["x"], b["y"]) for b in now["labels"]]
        assert_clean(page)
    finally:
        browser.send("Target.closeTarget", targetId=page.target)


def test_focus_is_centred_and_far_hops_fade(open_map, views):  # noqa: F811
    m = views["focus"]
    page, _ = open_map(m)
    g = geometry(page)
    (w, h), (x, y, _) = g["canvas"], g["at"]["ORG045"]
    assert abs(x - w / 2) <= 0.1 * w and abs(y - h / 2) <= 0.1 * h
    hops = {n["id"]: n["hop"] for n in m.nodes}
    opacity = page.evaluate("(function () { var o = {}; trustgraphMap.nodes.forEach(function (n) {"
                            " o[n.id] = n.opacity; }); return o; })()")
    assert {opacity[i] for i, d in hops.items() if d <= 1} == {1}
    assert {opacity[i] for i, d in hops.items() if d == 2} == {0.55}
    # One ring per hop: every second hop lies farther from the focus than every first hop.
    def radius(i: str) -> float:
        dx, dy = (g["at"][i][0] - x) / w, (g["at"][i][1] - y) / h
        return float((dx * dx + dy * dy) ** 0.5)
    assert max(radius(i) for i, d in hops.items() if d == 1) < min(radius(i) for i, d in hops.items() if d == 2)
    assert_clean(page)


def test_chain_is_a_left_to_right_spine_with_faded_context(open_map, views):  # noqa: F811
    m = views["chain"]
    page, _ = open_map(m)
    g = geometry(page)
    chain = [e["from"] for e in m.edges if e["kind"] == "chain"] + [m.edges[-1]["to"]]
    xs, ys = [g["at"][c][0] for c in chain], [g["at"][c][1] for c in chain]
    assert xs == sorted(xs) and xs[-1] - xs[0] > 0.4 * g["canvas"][0] and max(ys) - min(ys) < 1
    context = [n for n in m.nodes if n["role"] is None]
    assert context and all(n["opacity"] < 1 for n in context)
    # The chain's hop trusts are labelled beside the spine.
    assert {b["text"] for b in g["labels"] if str(b["id"]).startswith("e")} == {
        e["label"] for e in m.edges if e["kind"] == "chain"}
    assert_clean(page)


def test_parallel_ties_are_one_line_listing_their_kinds_and_counts(open_map, views):  # noqa: F811
    m = views["network"]
    page, _ = open_map(m)
    pairs: dict[frozenset[Any], list[dict[str, Any]]] = {}
    for e in m.edges:
        pairs.setdefault(frozenset((e["from"], e["to"])), []).append(e)
    assert page.evaluate("trustgraphMap.drawn().edges") == len(pairs) < len(m.edges)
    several = next(p for p, ties in pairs.items() if len(ties) >= 2)
    pid = page.evaluate("trustgraphMap.pairs.filter(function (p) { var k = [p.from, p.to];"
                        f" return k.indexOf({sorted(several)[0]!r}) >= 0 && k.indexOf({sorted(several)[1]!r}) >= 0;"
                        " })[0].id")
    lines = page.evaluate(f"trustgraphMap.pairLines({pid!r})")
    ties = pairs[several]
    assert lines[0].startswith(f"{len(ties)} ties \u00b7 ")
    for e in ties:
        assert f"{m.styles[e['kind'] + e['sign']]['label']} \u00d7{e['count']}" in lines[0]
    assert_clean(page)


def test_zoomed_in_only_parties_on_the_canvas_are_labelled_and_a_chain_names_its_members(open_map, views):  # noqa: F811
    """A label names the node it sits by: zoomed in three times on a party, no label belongs to a
    party off the canvas (they used to be pinned to its edge, beside other parties). On the chain
    view every party of the chain is named."""
    m = views["network"]
    page, _ = open_map(m)
    target = min(m.nodes, key=lambda n: n["rank"])["id"]
    page.evaluate("(function (id) { var n = trustgraphMap.network; n.moveTo({ position: n.getPositions([id])[id],"
                  " scale: n.getScale() * 3, animation: false }); n.redraw(); })(" + json.dumps(target) + ")")
    page.evaluate(NEXT_FRAMES)
    g = geometry(page)
    w, h = g["canvas"]
    off = [i for i, (x, y, _r) in g["at"].items() if not (0 <= x <= w and 0 <= y <= h)]
    assert off, "the zoom left every party on the canvas: nothing tested"
    labelled = {b["id"] for b in g["labels"]}
    assert target in labelled and not labelled & set(off)
    assert overlaps(g["labels"]) == []
    for b in g["labels"]:
        if b["id"] in g["at"]:
            assert beside(b, *g["at"][b["id"]], w, h), b
    assert_clean(page)

    m = views["chain"]
    page, _ = open_map(m)
    g = geometry(page)
    members = {n["id"] for n in m.nodes if n["role"] is not None}
    assert len(members) >= 3 and members <= {b["id"] for b in g["labels"]}
    assert_clean(page)
