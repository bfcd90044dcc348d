"""Questions answered in the map page, in real headless Chromium (issue 17, items 2, 3 and 5).

The page's own path finder gives the answer of ``trustgraph chain FROM TO --limit 1`` (path and
strength to 4 decimals) for 20 pairs of the sample, with and without a chain, on a map written by
``trustgraph map`` from the same store; a click shows a party's exposure paths to listed parties;
organisation filters and exports (CSV, GraphML, GEXF, SVG, built in the page from what is shown)
give the expected counts; every control is reachable by keyboard and runs on Enter; names stay text
in every export.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from headless_chromium import Chromium, Page
from test_map import XSS, tiny_tables
from test_map_browser import assert_clean, browser, element_centre, open_map  # noqa: F401  (fixtures)

from trustgraph.graph import project
from trustgraph.render import MapData, map_data

pytestmark = pytest.mark.browser

Run = Callable[..., tuple[int, str, str]]
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://gexf.net/1.3}"


def _js(value: Any) -> str:
    return json.dumps(value)


def press(page: Page, key: str, code: int, shift: bool = False) -> None:
    for kind in ("rawKeyDown", "keyUp"):
        page.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code,
                  nativeVirtualKeyCode=code, modifiers=8 if shift else 0)


def focused(page: Page) -> str:
    result: str = page.evaluate("document.activeElement && document.activeElement.id")
    return result


def open_file(browser: Chromium, path: Path) -> Page:  # noqa: F811
    page = browser.new_page(width=1400, height=900)
    page.goto(path.as_uri())
    page.wait_for("window.trustgraphMap && window.trustgraphMap.ready")
    return page


@pytest.fixture(scope="module")
def sample_map(sample_tables: dict[str, pd.DataFrame]) -> MapData:
    return map_data(project(sample_tables), sample_tables, generated_at="2025-07-01 09:00 UTC")


def choose_pairs(run_cli: Run, ids: list[str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """14 pairs with a chain and 6 without (ORG001 → ORG045 first), with the CLI's answer."""
    rng = random.Random(17)
    wanted: list[tuple[str, str]] = [("ORG001", "ORG045")]
    while len(wanted) < 200:
        a, b = rng.sample(ids, 2)
        if (a, b) not in wanted:
            wanted.append((a, b))
    found: list[tuple[str, str, dict[str, Any] | None]] = []
    missing: list[tuple[str, str, dict[str, Any] | None]] = []
    for a, b in wanted:
        code, out, err = run_cli(["chain", a, b, "--limit", "1", "--format", "json"])
        assert code in (0, 4), err
        if code == 0 and len(found) < 14:
            found.append((a, b, json.loads(out)["rows"][0]))
        elif code == 4 and len(missing) < 6:
            missing.append((a, b, None))
        if len(found) == 14 and len(missing) == 6:
            break
    assert len(found) == 14 and len(missing) == 6
    return found + missing


def test_path_finder_gives_the_cli_answer_for_20_pairs(browser, run_cli, tmp_path):  # noqa: F811
    code, _, err = run_cli(["load", str(Path(__file__).parents[1] / "data" / "sample"), "--format", "json"])
    assert code == 0, err
    page_path = tmp_path / "sample.html"
    code, _, err = run_cli(["map", "--out", str(page_path)])
    assert code == 0, err
    page = open_file(browser, page_path)
    ids = page.evaluate("trustgraphMap.data.nodes.map(function (n) { return n.id; })")
    assert len(ids) == 96
    pairs = choose_pairs(run_cli, sorted(ids))
    for a, b, row in pairs:
        got = page.evaluate(f"trustgraphMap.chains({_js(a)}, {_js(b)}, 1)")
        if row is None:
            assert got == [], (a, b)
            continue
        assert len(got) == 1, (a, b)
        assert got[0]["path"] == row["path"], (a, b)
        # The CLI prints strengths to 6 decimals: equal there, hence to 4 decimals.
        assert abs(got[0]["strength"] - row["strength"]) <= 5e-7, (a, b)
    # The k strongest too (limit 3), for the first pair.
    code, out, _ = run_cli(["chain", "ORG001", "ORG045", "--limit", "3", "--format", "json"])
    rows = json.loads(out)["rows"]
    got = page.evaluate("trustgraphMap.chains('ORG001', 'ORG045', 3)")
    assert [c["path"] for c in got] == [r["path"] for r in rows]
    assert all(abs(c["strength"] - r["strength"]) <= 5e-7 for c, r in zip(got, rows, strict=True))
    assert_clean(page)


def test_path_finder_by_keyboard_highlights_the_chain(open_map, sample_map):  # noqa: F811
    page, m = open_map(sample_map)
    page.click(*element_centre(page, "#tg-chain-from"))
    assert focused(page) == "tg-chain-from"
    page.type_text("ORG001")
    press(page, "Tab", 9)
    assert focused(page) == "tg-chain-to"
    page.type_text("ORG045")
    page.press_enter()
    page.wait_for("document.querySelectorAll('#tg-chain-result li').length === 1")
    text = page.evaluate("document.querySelector('#tg-chain-result li').textContent")
    chain = page.evaluate("trustgraphMap.chains('ORG001', 'ORG045', 1)")[0]
    assert text.startswith(f"strength {chain['strength']:.4f}, {chain['hops']} hop")
    # Its hops are drawn over the map; everything else fades.
    overlay = page.evaluate("trustgraphMap.edges.get().filter(function (e) { return String(e.id)[0] === 'q'; })"
                            ".map(function (e) { return [e.from, e.to]; })")
    assert overlay == [list(p) for p in zip(chain["path"][:-1], chain["path"][1:], strict=True)]
    opacity = page.evaluate("(function () { var o = {}; trustgraphMap.nodes.forEach(function (n) {"
                            " o[n.id] = n.opacity; }); return o; })()")
    assert all(opacity[n] == 1 for n in chain["path"])
    assert sum(1 for v in opacity.values() if v < 1) == len(m.nodes) - len(chain["path"])
    # No chain: said in words.
    page.evaluate("document.getElementById('tg-chain-to').value = ''")
    page.click(*element_centre(page, "#tg-chain-to"))
    page.type_text("no such party")
    page.press_enter()
    page.wait_for("document.getElementById('tg-chain-result').textContent.indexOf('no organisation matches') === 0")
    # Clear restores the view.
    page.click(*element_centre(page, "#tg-clear"))
    page.wait_for("trustgraphMap.edges.get().every(function (e) { return String(e.id)[0] !== 'q'; })")
    assert_clean(page)


def test_every_control_is_reachable_by_keyboard(open_map, sample_map):  # noqa: F811
    page, _ = open_map(sample_map)
    page.evaluate("document.getElementById('tg-search').focus()")
    seen = []
    for _ in range(60):
        seen.append(focused(page))
        press(page, "Tab", 9)
    for control in ("tg-search", "tg-find", "tg-kind-referral", "tg-from", "tg-to", "tg-fit", "tg-png",
                    "tg-chain-from", "tg-chain-to", "tg-chain-limit", "tg-chain-find", "tg-f-sector",
                    "tg-f-region", "tg-f-culture", "tg-f-listed", "tg-f-rep-min", "tg-f-rep-max",
                    "tg-filter-apply", "tg-colour", "tg-export-format", "tg-export"):
        assert control in seen, (control, seen)
    # Filters run on Enter: a reputation floor typed into its box.
    page.evaluate("document.getElementById('tg-f-rep-min').focus()")
    page.type_text("0.55")
    page.press_enter()
    expected = sum(1 for n in sample_map.nodes if n["reputation"] is not None and n["reputation"] >= 0.55)
    page.wait_for(f"trustgraphMap.shown().nodes === {expected}")
    assert 0 < expected < len(sample_map.nodes)
    assert_clean(page)


def test_click_shows_exposure_paths_to_listed_parties(open_map, sample_map):  # noqa: F811
    page, m = open_map(sample_map)
    exposed = next(k for k, v in m.exposure.items() if any(len(x["path"]) > 2 for x in v))
    result = page.evaluate(f"trustgraphMap.select({_js(exposed)})")
    hops = [[x["path"][i], x["path"][i + 1]] for x in m.exposure[exposed] for i in range(len(x["path"]) - 1)]
    overlay = page.evaluate("trustgraphMap.edges.get().filter(function (e) { return String(e.id)[0] === 'q'; })"
                            ".map(function (e) { return [e.from, e.to]; })")
    assert overlay == hops
    assert set(result["exposure"]) == {n for h in hops for n in h}
    assert any(m.nodes[i]["listed"] for i, n in enumerate(m.nodes) if n["id"] in result["exposure"])
    details = page.evaluate("document.getElementById('tg-details-body').textContent")
    assert "Exposure paths to listed parties" in details
    assert_clean(page)


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def exports(page: Page) -> dict[str, str]:
    return {f: page.evaluate(f"trustgraphMap.exportText({_js(f)})") for f in ("parties.csv", "ties.csv", "graphml",
                                                                            "gexf", "svg")}


def check_exports(texts: dict[str, str], node_ids: set[Any], tie_ids: set[str]) -> None:
    parties = parse_csv(texts["parties.csv"])
    ties = parse_csv(texts["ties.csv"])
    assert {r["id"] for r in parties} == {str(n) for n in node_ids} and len(parties) == len(node_ids)
    assert {r["id"] for r in ties} == tie_ids and len(ties) == len(tie_ids)
    g = ET.fromstring(texts["graphml"])
    assert {n.get("id") for n in g.iter(GRAPHML + "node")} == {str(n) for n in node_ids}
    assert {e.get("id") for e in g.iter(GRAPHML + "edge")} == tie_ids
    x = ET.fromstring(texts["gexf"])
    assert {n.get("id") for n in x.iter(GEXF + "node")} == {str(n) for n in node_ids}
    assert {e.get("id") for e in x.iter(GEXF + "edge")} == tie_ids
    s = ET.fromstring(texts["svg"])
    assert len([e for e in s.iter() if e.get("class") == "party"]) == len(node_ids)


def test_filters_and_exports_give_the_expected_counts(open_map, sample_map):  # noqa: F811
    page, m = open_map(sample_map)
    all_ties = {e["id"] for e in m.edges}
    check_exports(exports(page), {n["id"] for n in m.nodes}, all_ties)
    cases: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        ({"sector": "ngo"}, lambda n: n["sector"] == "ngo"),
        ({"region": m.nodes[0]["region"]}, lambda n: n["region"] == m.nodes[0]["region"]),
        ({"culture": m.nodes[0]["culture"]}, lambda n: n["culture"] == m.nodes[0]["culture"]),
        ({"listed": True}, lambda n: n["listed"]),
        ({"listed": False, "reputation": [0.5, 1]}, lambda n: not n["listed"] and 0.5 <= n["reputation"] <= 1),
        ({"risk": [0, 0.45]}, lambda n: n["risk"] is not None and n["risk"] <= 0.45),
    ]
    for spec, keep in cases:
        nodes = {n["id"] for n in m.nodes if keep(n)}
        ties = {e["id"] for e in m.edges if e["from"] in nodes and e["to"] in nodes}
        assert 0 < len(nodes) < len(m.nodes), spec
        assert page.evaluate(f"trustgraphMap.filter({_js(spec)})") == {"nodes": len(nodes), "ties": len(ties)}
        lines = len({frozenset((e["from"], e["to"])) for e in m.edges if e["id"] in ties})
        assert page.evaluate("trustgraphMap.drawn()") == {"nodes": len(nodes), "edges": lines}
        check_exports(exports(page), nodes, ties)
    # Organisation and tie filters together: NGOs, referrals unticked, a date range.
    page.evaluate("trustgraphMap.filter({sector: 'ngo'})")
    page.evaluate("trustgraphMap.setKind('referral', false)")
    nodes = {n["id"] for n in m.nodes if n["sector"] == "ngo"}
    ties = {e["id"] for e in m.edges if e["from"] in nodes and e["to"] in nodes and e["kind"] != "referral"}
    assert page.evaluate("trustgraphMap.shown()") == {"nodes": len(nodes), "ties": len(ties)}
    check_exports(exports(page), nodes, ties)
    assert "of 96 organisations" in page.evaluate("document.getElementById('tg-status').textContent")
    # Reset shows everything again.
    page.evaluate("trustgraphMap.setKind('referral', true)")
    page.click(*element_centre(page, "#tg-filter-reset"))
    page.wait_for(f"trustgraphMap.shown().nodes === {len(m.nodes)}")
    assert page.evaluate("trustgraphMap.shown()") == {"nodes": len(m.nodes), "ties": len(m.edges)}
    assert_clean(page)


def test_export_button_saves_a_file_from_a_blob(open_map, sample_map, tmp_path):  # noqa: F811
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page, m = open_map(sample_map, downloads=downloads)
    page.evaluate("document.getElementById('tg-export-format').value = 'gexf'")
    page.click(*element_centre(page, "#tg-export"))
    page.wait_for("trustgraphMap.lastExport !== null")
    deadline = time.monotonic() + 30
    while not any(d.get("state") == "completed" for d in page.downloads) and time.monotonic() < deadline:
        time.sleep(0.05)
    done = [d for d in page.downloads if d.get("state") == "completed"]
    assert done, page.downloads
    saved = Path(done[-1].get("filePath") or downloads / "trustgraph-map.gexf")
    assert saved.name == "trustgraph-map.gexf"
    assert saved.read_text(encoding="utf-8") == page.evaluate("trustgraphMap.exportText('gexf')")
    assert len(list(ET.fromstring(saved.read_text(encoding="utf-8")).iter(GEXF + "node"))) == len(m.nodes)
    assert_clean(page)


def test_colour_by_community_with_its_legend(open_map, sample_map):  # noqa: F811
    page, m = open_map(sample_map)
    legend = page.evaluate("trustgraphMap.colourBy('community')")
    assert legend["title"].startswith("Community")
    assert sum(i["count"] for i in legend["items"]) == len(m.nodes)
    rows = page.evaluate("document.querySelectorAll('#tg-legend-colour .tg-item').length")
    assert rows == len(legend["items"])
    biggest = max({n["community"] for n in m.nodes}, key=lambda c: sum(1 for n in m.nodes if n["community"] == c))
    assert biggest == 1 and legend["items"][0]["label"] == "community 1"
    # Communities of one size are listed by number ("community 9" before "community 10").
    sizes: dict[str, list[int]] = {}
    for item in legend["items"]:
        if item["label"].startswith("community "):
            sizes.setdefault(item["count"], []).append(int(item["label"].split()[1]))
    assert all(nums == sorted(nums) for nums in sizes.values())
    # The parameter line (header and saved PNG) names the colouring shown, not the one the map was made with.
    params = page.evaluate("document.getElementById('tg-params').textContent")
    assert f"colour: community (chosen in the page; made by {m.parameters['colour']})" in params
    page.evaluate("trustgraphMap.colourBy('')")
    assert page.evaluate("document.querySelector('#tg-legend-colour h3').textContent") == m.legend["color"]["title"]
    params = page.evaluate("document.getElementById('tg-params').textContent")
    assert f"colour: {m.parameters['colour']}" in params and "chosen in the page" not in params
    assert_clean(page)


def test_names_stay_text_in_the_questions_and_every_export(open_map):  # noqa: F811
    tables = tiny_tables(name_b=XSS)
    m = map_data(project(tables), tables, color="sector", physics_max_nodes=0)
    page, _ = open_map(m, width=1200, height=800)
    page.evaluate("trustgraphMap.findChains('a', 'b', 3)")
    page.evaluate("trustgraphMap.colourBy('sector')")
    texts = exports(page)
    assert {r["id"]: r["name"] for r in parse_csv(texts["parties.csv"])}["b"] == XSS
    g = ET.fromstring(texts["graphml"])
    names = [d.text for d in g.iter(GRAPHML + "data") if d.get("key") == "n_name"]
    assert XSS in names
    x = ET.fromstring(texts["gexf"])
    assert XSS in [n.get("label") for n in x.iter(GEXF + "node")]
    assert XSS.replace("<", "") not in texts["svg"] or "<script" not in texts["svg"]
    ET.fromstring(texts["svg"])
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('script').length") == 4  # data, details, vis, app
    assert_clean(page)
