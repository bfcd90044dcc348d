"""Generated maps in real headless Chromium (Debian's ``chromium``), offline, over the DevTools protocol.

Each test opens a page written by :func:`trustgraph.render.render_html` from a ``file://`` URL with the
network unavailable (offline emulation, every host name unresolvable) and drives it like a user: real
mouse and keyboard events, the page's own buttons. Every test also checks that the page logged no
console error or exception (a Content-Security-Policy violation is one) and requested nothing but
``file:``, ``data:`` and ``blob:`` URLs.

Without chromium these tests skip, except under ``CI=true``, where a missing browser is a broken
set-up and they fail.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from headless_chromium import Chromium, Page, find_chromium
from test_map import XSS, tiny_tables

from trustgraph.graph import project
from trustgraph.render import MapData, map_data, render_html

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: CI must install Debian's chromium (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    with Chromium(binary) as b:
        yield b


OpenMap = Callable[..., tuple[Page, MapData]]


@pytest.fixture()
def open_map(browser: Chromium, tmp_path: Path) -> Iterator[OpenMap]:
    pages: list[Page] = []

    def open_(data: MapData, *, downloads: Path | None = None, width: int = 1400, height: int = 900) -> tuple[
            Page, MapData]:
        path = tmp_path / f"map{len(pages)}.html"
        path.write_text(render_html(data), encoding="utf-8")
        page = browser.new_page(width=width, height=height, downloads=downloads)
        pages.append(page)
        page.goto(path.as_uri())
        page.wait_for("window.trustgraphMap && window.trustgraphMap.ready")
        return page, data

    yield open_
    for page in pages:
        browser.send("Target.closeTarget", targetId=page.target)


def assert_clean(page: Page) -> None:
    """No console error or exception, and nothing requested from outside the file."""
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))] == []


def dom_point(page: Page, node: Any) -> tuple[float, float]:
    """Viewport coordinates of a node's centre."""
    x, y = page.evaluate(
        "(function (id) { var n = trustgraphMap.network, p = n.canvasToDOM(n.getPositions([id])[id]);"
        " var r = document.getElementById('tg-map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })"
        f"({_js(node)})"
    )
    return float(x), float(y)


def element_centre(page: Page, selector: str) -> tuple[float, float]:
    x, y = page.evaluate(
        f"(function () {{ var r = document.querySelector({_js(selector)}).getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    return float(x), float(y)


def _js(value: Any) -> str:
    import json

    return json.dumps(value)


def drawn(page: Page) -> dict[str, int]:
    result: dict[str, int] = page.evaluate("trustgraphMap.drawn()")
    return result


def pair_count(edges: list[dict[str, Any]]) -> int:
    """Lines drawn for these ties: one per pair of organisations."""
    return len({frozenset((e["from"], e["to"])) for e in edges})


def synthetic_tables(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """A random partnership network: n organisations, ~2n referrals, n/2 partnerships, a few listings."""
    rng = np.random.default_rng(seed)
    ids = [f"O{i:05d}" for i in range(n)]
    orgs = pd.DataFrame({"id": ids, "name": [f"Organisation {i}" for i in range(n)],
                         "sector": rng.choice(["ngo", "private", "academic", "government"], n)})
    ba = nx.barabasi_albert_graph(n, 2, seed=seed)
    pairs = [(ids[u], ids[v]) if rng.random() < 0.5 else (ids[v], ids[u]) for u, v in ba.edges]
    refs = pd.DataFrame({
        "id": [f"R{i}" for i in range(len(pairs))], "source": [p[0] for p in pairs], "target": [p[1] for p in pairs],
        "strength": np.round(np.where(rng.random(len(pairs)) < 0.1, -0.5, 0.8), 2),
        "date": [f"20{rng.integers(15, 25)}-0{rng.integers(1, 10)}-15" for _ in pairs],
        "recipient": None, "note": None,
    })
    listed = rng.choice(n, size=max(1, n // 100), replace=False)
    blacklist = pd.DataFrame({"id": [f"B{i}" for i in range(len(listed))], "lister": [ids[0]] * len(listed),
                              "listed": [ids[int(i)] for i in listed], "date": "2020-01-01", "until": None,
                              "reason": "synthetic", "source": None})
    blacklist = blacklist[blacklist["listed"] != ids[0]]
    return {"organizations": orgs, "referrals": refs, "blacklist": blacklist}


@pytest.fixture(scope="module")
def sample_map(sample_tables: dict[str, pd.DataFrame]) -> MapData:
    G = project(sample_tables)
    return map_data(G, sample_tables, generated_at="2025-07-01 09:00 UTC")


# --------------------------------------------------------------------------------------------------


def test_sample_map_draws_exactly_what_trustgraph_intended(open_map, sample_map):
    page, m = open_map(sample_map)
    assert not m.physics and m.view == "network"
    # The ties of one pair are one line (test_map_layout_browser.py checks its tooltip).
    assert drawn(page) == {"nodes": 96, "edges": pair_count(m.edges)}
    # Something is on the canvas, not just in the data sets.
    painted = page.evaluate(
        "(function () { var c = document.querySelector('#tg-map canvas'), d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data, k = 0; for (var i = 3; i < d.length; i += 4) { if (d[i]) k++; }"
        " return k; })()"
    )
    assert painted > 10_000
    assert page.evaluate("document.getElementById('tg-title').textContent") == m.title
    assert page.evaluate("document.title") == m.title
    assert page.evaluate("document.querySelectorAll('#tg-legend .tg-item').length") == (
        len(m.legend["color"]["items"]) + len(m.legend["edges"]) + len(m.legend["markers"]))
    assert_clean(page)


def test_large_map_is_drawn_at_once_from_precomputed_positions(open_map):
    tables = synthetic_tables(800)
    m = map_data(project(tables), tables, color="sector")
    assert not m.physics
    page, _ = open_map(m)
    assert drawn(page) == {"nodes": 800, "edges": pair_count(m.edges)}
    positions = page.evaluate("trustgraphMap.network.getPositions()")
    # vis-network keeps whole pixels (it truncates): every node sits where trustgraph put it.
    assert set(positions) == {n["id"] for n in m.nodes}
    assert all(abs(positions[n["id"]]["x"] - n["x"]) < 1 and abs(positions[n["id"]]["y"] - n["y"]) < 1
               for n in m.nodes)
    assert page.evaluate("trustgraphMap.network.physics.physicsEnabled") is False
    assert_clean(page)


def test_max_nodes_cap_is_drawn_and_announced(open_map, sample_tables):
    m = map_data(project(sample_tables), sample_tables, max_nodes=40, color="sector")
    page, _ = open_map(m)
    assert drawn(page) == {"nodes": 40, "edges": pair_count(m.edges)}
    notes = page.evaluate("Array.from(document.querySelectorAll('#tg-notes li')).map(function (e) {"
                          " return e.textContent; })")
    assert notes == m.notes and notes[0].startswith("Showing 40 of 96 organisations")
    assert_clean(page)


def test_search_by_name_focuses_the_node(open_map, sample_tables):
    # Without physics the node stays put, so "centred on it" can be checked to the pixel.
    m = map_data(project(sample_tables), sample_tables, color="sector", physics_max_nodes=0)
    page, _ = open_map(m)
    page.click(*element_centre(page, "#tg-search"))
    page.type_text("northstar relief")
    page.press_enter()
    page.wait_for("trustgraphMap.network.getSelectedNodes().length === 1")
    assert page.evaluate("trustgraphMap.network.getSelectedNodes()") == ["ORG019"]
    assert page.evaluate("document.querySelector('#tg-details-body .tg-heading').textContent") == (
        "Northstar Relief International")
    view = page.evaluate("trustgraphMap.network.getViewPosition()")
    node = page.evaluate("trustgraphMap.network.getPositions(['ORG019']).ORG019")
    assert abs(view["x"] - node["x"]) < 1 and abs(view["y"] - node["y"]) < 1
    assert page.evaluate("trustgraphMap.network.getScale()") >= 1.2
    assert "found Northstar Relief International" in page.evaluate("document.getElementById('tg-status').textContent")
    page.evaluate("document.getElementById('tg-search').value = ''")
    page.click(*element_centre(page, "#tg-search"))
    page.type_text("no such organisation")
    page.click(*element_centre(page, "#tg-find"))
    page.wait_for("document.getElementById('tg-status').textContent.indexOf('no organisation matches') === 0")
    assert_clean(page)


def test_filters_hide_edges_by_kind_and_date(open_map, sample_map):
    page, m = open_map(sample_map)
    total = pair_count(m.edges)
    without = pair_count([e for e in m.edges if e["kind"] != "referral"])
    assert 0 < without < total
    page.click(*element_centre(page, "#tg-kind-referral"))
    page.wait_for(f"trustgraphMap.drawn().edges === {without}")
    assert page.evaluate("document.getElementById('tg-kind-referral').checked") is False
    page.click(*element_centre(page, "#tg-kind-referral"))
    page.wait_for(f"trustgraphMap.drawn().edges === {total}")

    lo, hi = "2024-01-01", "2024-06-30"
    expected = pair_count([e for e in m.edges
                           if not e["intervals"] or any(a <= hi and b >= lo for a, b in e["intervals"])])
    assert 0 < expected < total
    page.evaluate(
        f"(function () {{ var f = document.getElementById('tg-from'), t = document.getElementById('tg-to');"
        f" f.value = {_js(lo)}; t.value = {_js(hi)}; f.dispatchEvent(new Event('change'));"
        " t.dispatchEvent(new Event('change')); })()"
    )
    page.wait_for(f"trustgraphMap.drawn().edges === {expected}")
    assert drawn(page)["nodes"] == len(m.nodes)  # organisations stay; only their ties are filtered
    assert_clean(page)


def test_click_highlights_the_neighbourhood(open_map, sample_tables):
    G = project(sample_tables)
    m = map_data(G, sample_tables, color="sector", focus="ORG019", hops=2, physics_max_nodes=0)
    page, _ = open_map(m)
    page.click(*dom_point(page, "ORG019"))
    page.wait_for("trustgraphMap.network.getSelectedNodes()[0] === 'ORG019'")
    neighbours = {e["to"] if e["from"] == "ORG019" else e["from"] for e in m.edges if "ORG019" in (e["from"], e["to"])}
    others = [n["id"] for n in m.nodes if n["id"] not in neighbours | {"ORG019"}]
    assert neighbours and others
    opacity = page.evaluate("(function () { var o = {}; trustgraphMap.nodes.forEach(function (n) {"
                            " o[n.id] = n.opacity === undefined ? 1 : n.opacity; }); return o; })()")
    assert all(opacity[n] == 1 for n in neighbours | {"ORG019"})
    assert all(opacity[n] < 1 for n in others)
    assert page.evaluate("document.querySelector('#tg-details-body .tg-heading').textContent") == (
        "Northstar Relief International")
    assert_clean(page)


def test_xss_payload_in_names_and_notes_displays_as_written_and_never_runs(open_map):
    tables = tiny_tables(name_b=XSS)
    G = project(tables)
    m = map_data(G, tables, color="sector", focus="b", edge_kinds=["referral"], physics_max_nodes=0)
    page, _ = open_map(m, width=1200, height=800)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.title") == m.title and XSS in m.title
    # Hover the organisation: the tooltip shows the name verbatim, as text.
    page.mouse_move(*dom_point(page, "b"))
    page.wait_for("!document.getElementById('tg-tooltip').hidden")
    tip = page.evaluate("document.getElementById('tg-tooltip').firstChild.textContent")
    assert tip == XSS
    # Hover the referral a -> b: its note carries the payload too.
    (ax, ay), (bx, by) = dom_point(page, "a"), dom_point(page, "b")
    page.mouse_move(0, 0)
    page.wait_for("document.getElementById('tg-tooltip').hidden")
    page.mouse_move((ax + bx) / 2, (ay + by) / 2)
    page.wait_for("!document.getElementById('tg-tooltip').hidden")
    lines = page.evaluate("Array.from(document.getElementById('tg-tooltip').children).map(function (e) {"
                          " return e.textContent; })")
    assert lines[0] == f"referral (vouch) \u00b7 Alpha Foundation \u2192 {XSS}"
    assert f"\u201cnote {XSS}\u201d" in lines[1]
    # Search, details panel, datalist and labels hold the text; no element was created from it.
    page.evaluate(f"trustgraphMap.search({_js('script')})")
    assert page.evaluate("document.querySelector('#tg-details-body .tg-heading').textContent") == XSS
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 4  # data, details, vis, app
    assert page.evaluate("Array.from(document.querySelectorAll('#tg-tooltip *, #tg-details-body *'))"
                         ".every(function (e) { return ['STRONG', 'DIV', 'H3', 'UL', 'LI'].indexOf(e.tagName) >= 0"
                         " && e.attributes.length <= 1; })") is True
    assert page.evaluate("trustgraphMap.nodes.get('b').label") == XSS[:27].rstrip() + "\u2026"
    time.sleep(0.2)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert_clean(page)


def test_a_100000_character_name_leaves_the_page_usable(open_map):
    """Issue 13: such a name made the header 23,775 px tall and the map canvas 0 px."""
    long_name = "L" * 100_000
    tables = tiny_tables(name_b=long_name)
    G = project(tables)
    m = map_data(G, tables, color="sector", focus="b", edge_kinds=["referral"], physics_max_nodes=0)
    page, _ = open_map(m, width=1200, height=800)
    sizes = page.evaluate(
        "(function () { function h(s) { return document.querySelector(s).getBoundingClientRect().height; }"
        " return { header: h('header'), canvas: h('#tg-map canvas'), toolbar: h('#tg-toolbar') }; })()")
    assert sizes["header"] < 160 and sizes["toolbar"] < 120
    assert sizes["canvas"] > 500
    assert page.evaluate("document.getElementById('tg-title').textContent") == m.title
    assert m.title == f"trustgraph map \u2014 neighbourhood of {'L' * 99}\u2026 (2 hops)"
    assert page.evaluate("trustgraphMap.nodes.get('b').label") == "L" * 27 + "\u2026"
    # The tooltip holds the whole name (as text) but stays within the map.
    page.mouse_move(*dom_point(page, "b"))
    page.wait_for("!document.getElementById('tg-tooltip').hidden")
    assert page.evaluate("document.getElementById('tg-tooltip').firstChild.textContent") == long_name
    tip = page.evaluate("document.getElementById('tg-tooltip').getBoundingClientRect().height")
    assert tip < page.evaluate("document.getElementById('tg-map-wrap').getBoundingClientRect().height")
    # Search by the start of the name finds it; the status line shows it cut.
    page.mouse_move(0, 0)
    assert page.evaluate(f"trustgraphMap.search({_js('L' * 50)})") == "b"
    status = page.evaluate("document.getElementById('tg-status').textContent")
    assert status.startswith("found " + "L" * 99 + "\u2026") and len(status) < 200
    assert page.evaluate("document.querySelector('#tg-details-body .tg-heading').textContent") == long_name
    assert page.evaluate("document.getElementById('tg-toolbar').getBoundingClientRect().height") < 120
    assert_clean(page)


def _png_pixels_vary(data: bytes) -> tuple[int, int, int]:
    """PNG width, height and the number of distinct byte values in its (filtered) pixel data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_png_button_saves_an_image_of_the_view(open_map, sample_map, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page, _ = open_map(sample_map, downloads=downloads)
    page.click(*element_centre(page, "#tg-png"))
    page.wait_for("trustgraphMap.lastPng !== null")
    deadline = time.monotonic() + 30
    while not any(d.get("state") == "completed" for d in page.downloads) and time.monotonic() < deadline:
        time.sleep(0.05)
    done = [d for d in page.downloads if d.get("state") == "completed"]
    assert done, page.downloads
    saved = Path(done[-1].get("filePath") or downloads / "trustgraph-map.png")
    assert saved.name == "trustgraph-map.png"
    width, height, distinct = _png_pixels_vary(saved.read_bytes())
    meta = page.evaluate("trustgraphMap.lastPng")
    assert (width, height) == (meta["width"], meta["height"]) and width > 800 and height > 500
    assert meta["bytes"] == saved.stat().st_size
    assert distinct > 100  # a picture, not a blank canvas
    assert "saved trustgraph-map.png" in page.evaluate("document.getElementById('tg-status').textContent")
    assert_clean(page)
