"""Network maps: generation time and page-ready time in headless Chromium, 500 / 2,000 / 5,000 nodes.

Input: a seeded synthetic partnership network (``synthetic_tables``): ``n`` organisations in eight
sectors and regions, about 2.5 referrals per organisation on a preferential-attachment graph (one in
ten a warning), ``n/4`` partnerships of 2–5 members (one in eight terminated), ``n/20`` incidents,
``n/100`` blacklist listings and ``n`` communications — projected with :func:`trustgraph.graph.project`.

Measured, per size, in one process:

* **project**: tables → trust graph (set-up for every map, shown apart);
* **generate**: :func:`trustgraph.render.map_data` (selection, ties, tooltips, reputation and risk
  scores, layout) + :func:`trustgraph.render.render_html` + writing the file — what ``trustgraph
  map`` does after loading the graph; the layout alone is shown too;
* **ready**: the page's own ``readyMs`` in headless Chromium — ``performance.now()`` (milliseconds since
  navigation started) at vis-network's first ``afterDrawing``, i.e. parsing the HTML and the JSON,
  building the data sets and drawing everything, ready for interaction. A fresh tab each time.
  Maps over ``AGGREGATE_OVER`` organisations (2,000) open on their communities (docs/maps.md, "Big
  networks"); their tooltip texts and trust data are read after the first frame, and **details**
  says when they had arrived. The HTML size is given in bytes.

Peer, on the same graph in the same run: Pyvis as it is normally used — ``Network.from_nx`` on a copy
of the graph (it mutates its input) + ``generate_html`` (``cdn_resources="in_line"``); and the time
until that page's first drawing (its default template stabilises the physics first; its Bootstrap
link fails offline, which does not block drawing). Pyvis's page gets at most ``--peer-timeout``
seconds.

Targets: a 5,000-node map generated ≤ 10 s and drawn ≤ 3 s (issue 7), 20,000 drawn ≤ 5 s (issue 17).

``--renderers N`` instead draws the same N-party map (not aggregated; positions, sizes, colours, one
line per pair) with bare pages of vis-network and of sigma.js 4 + graphology (WebGL), and gives each
one's first complete frame and one zoom redraw — how the drawing library was chosen. sigma and
graphology are not shipped: ``npm pack sigma graphology`` and unpack them into ``--sigma DIR`` as
``DIR/sigma`` and ``DIR/graphology``.

Run: ``.venv/bin/python benchmarks/map_bench.py [--sizes 500,2000,5000] [--no-peer] [--keep DIR]``, or
``.venv/bin/python benchmarks/map_bench.py --renderers 20000 --sigma DIR``.
"""

from __future__ import annotations

import argparse
import copy
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from trustgraph.graph import project
from trustgraph.render import layout_positions, map_data, render_html
from trustgraph.render.layout import community_positions
from trustgraph.render.map import embed_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from headless_chromium import Chromium  # noqa: E402

SECTORS = ("ngo", "government", "private", "academic", "multilateral", "foundation", "social_enterprise", "media")
REGIONS = ("Western Europe", "North America", "East Asia", "South Asia", "Middle East", "West Africa",
           "Latin America", "East Africa")

# Record vis-network's first drawing in any page (used for the Pyvis peer, whose template has no hook).
_FIRST_DRAW_HOOK = """
(function () {
  function watch() {
    var n = window.network;
    if (n && n.once) {
      n.once("afterDrawing", function () { window.__firstDrawMs = performance.now(); });
      n.on("stabilizationProgress", function (p) { window.__stabilising = p.iterations + "/" + p.total; });
      return;
    }
    requestAnimationFrame(watch);
  }
  watch();
})();
"""


def synthetic_tables(n: int, seed: int = 20250701) -> dict[str, pd.DataFrame]:
    """A seeded partnership network of ``n`` organisations (see the module docs)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"ORG{i:05d}" for i in range(n)])

    def dates(k: int, lo: int = 2015, hi: int = 2025) -> list[str]:
        days = rng.integers(0, (hi - lo) * 365, size=k)
        return [str(np.datetime64(f"{lo}-01-01") + int(d)) for d in days]

    orgs = pd.DataFrame({
        "id": ids, "name": [f"Organisation {i} {SECTORS[i % 8].replace('_', ' ').title()}" for i in range(n)],
        "sector": rng.choice(SECTORS, n), "country": None, "region": rng.choice(REGIONS, n), "culture": None,
        "risk_appetite": None, "pretrusted": np.arange(n) < max(3, n // 100), "tags": None,
    })
    ba = nx.barabasi_albert_graph(n, 2, seed=seed)
    pairs = np.array(list(ba.edges))
    extra = rng.integers(0, n, size=(n // 2, 2))
    pairs = np.vstack([pairs, extra[extra[:, 0] != extra[:, 1]]])
    flip = rng.random(len(pairs)) < 0.5
    src, dst = np.where(flip, pairs[:, 0], pairs[:, 1]), np.where(flip, pairs[:, 1], pairs[:, 0])
    strength = np.where(rng.random(len(pairs)) < 0.1, -rng.uniform(0.3, 1.0, len(pairs)), rng.uniform(0.3, 1.0,
                                                                                                      len(pairs)))
    refs = pd.DataFrame({
        "id": [f"R{i:06d}" for i in range(len(pairs))], "source": ids[src], "target": ids[dst],
        "strength": np.round(strength, 2), "date": dates(len(pairs)), "recipient": None,
        "note": [f"Referral note {i}" for i in range(len(pairs))],
    })
    k = max(1, n // 4)
    start = dates(k, 2015, 2022)
    status = rng.choice(["completed", "active", "terminated", "suspended"], k, p=[0.55, 0.3, 0.1, 0.05])
    ships = pd.DataFrame({
        "id": [f"PS{i:05d}" for i in range(k)], "name": [f"Partnership {i}" for i in range(k)], "kind": "grant",
        "start": start, "end": [None if s == "active" else str(np.datetime64(d) + 700) for s, d in zip(status, start,
                                                                                                     strict=True)],
        "status": status,
    })
    member_rows = []
    for i in range(k):
        hub = int(src[rng.integers(len(src))])
        size = int(rng.integers(2, 6))
        others = rng.choice(n, size=size - 1, replace=False)
        for org in {hub, *map(int, others)}:
            member_rows.append({"partnership": f"PS{i:05d}", "organization": ids[org], "role": "member"})
    members = pd.DataFrame(member_rows)
    m = max(1, n // 20)
    ends = rng.integers(0, len(pairs), size=m)
    incidents = pd.DataFrame({
        "id": [f"I{i:05d}" for i in range(m)], "reporter": ids[src[ends]], "subject": ids[dst[ends]],
        "kind": "missed_commitment", "severity": rng.integers(1, 6, size=m), "date": dates(m, 2019, 2025),
        "partnership": None, "description": [f"Incident {i}" for i in range(m)],
    })
    listed = rng.choice(np.arange(max(3, n // 100), n), size=max(1, n // 100), replace=False)
    blacklist = pd.DataFrame({
        "id": [f"B{i:04d}" for i in range(len(listed))], "lister": ids[rng.integers(0, 3, size=len(listed))],
        "listed": ids[listed], "date": dates(len(listed), 2019, 2025), "until": None, "reason": "Synthetic listing",
        "source": None,
    })
    c = n
    comm_pairs = pairs[rng.integers(0, len(pairs), size=c)]
    comms = pd.DataFrame({
        "id": [f"C{i:06d}" for i in range(c)], "a": ids[comm_pairs[:, 0]], "b": ids[comm_pairs[:, 1]],
        "date": dates(c), "channel": "meeting",
    })
    return {"organizations": orgs, "referrals": refs, "partnerships": ships, "partnership_members": members,
            "incidents": incidents, "incident_actions": pd.DataFrame(columns=["id", "incident", "kind", "date", "note"]),
            "blacklist": blacklist, "communications": comms}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_ready_ms(browser: Chromium, path: Path, expression: str, timeout: float,
                  then: str | None = None) -> float | str | tuple[float, Any]:
    """Milliseconds from navigation start to the value of ``expression``, or why it did not come.

    With ``then``, also the value of that expression once it is truthy (waited for up to ``timeout``)."""
    page = browser.new_page(offline=True)
    try:
        page.send("Page.addScriptToEvaluateOnNewDocument", source=_FIRST_DRAW_HOOK)
        page.goto(path.as_uri())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = page.evaluate(expression)
            if value:
                if then is not None:
                    return float(value), page.wait_for(then, timeout=max(1.0, deadline - time.monotonic()))
                return float(value)
            time.sleep(0.02)
        progress = page.evaluate("window.__stabilising || ''")
        return f"not drawn after {timeout:.0f} s" + (f" (stabilising: {progress} iterations)" if progress else "")
    finally:
        browser.send("Target.closeTarget", targetId=page.target)


# -- drawing libraries compared on one large map (the choice of renderer, docs/maps.md) -------------

_RENDERER_PAGES = {
    "vis-network": """<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body,#m{margin:0;width:100%;height:100%}</style>
</head><body><div id="m"></div><script type="application/json" id="d">%DATA%</script><script>%LIB%</script><script>
var d = JSON.parse(document.getElementById("d").textContent);
var nodes = new vis.DataSet(d.nodes.map(function (n) { return {id: n[0], x: n[1], y: n[2], size: n[3], color: n[4]}; }));
var edges = new vis.DataSet(d.edges.map(function (e, i) { return {id: i, from: e[0], to: e[1], color: {color: e[2], opacity: 0.6}, width: 1}; }));
window.network = new vis.Network(document.getElementById("m"), {nodes: nodes, edges: edges}, d.options);
network.once("afterDrawing", function () { window.readyMs = performance.now(); });
window.redrawMs = function () {
  var t = performance.now(); network.moveTo({scale: network.getScale() * 1.25}); network.renderer._redraw(false);
  return performance.now() - t;
};
</script></body></html>""",
    "sigma": """<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body,#m{margin:0;width:100%;height:100%}</style>
</head><body><div id="m"></div><script type="application/json" id="d">%DATA%</script><script>%LIB%</script><script>
var d = JSON.parse(document.getElementById("d").textContent);
var g = new graphology.Graph({type: "directed", multi: false});
d.nodes.forEach(function (n) { g.addNode(n[0], {x: n[1], y: -n[2], size: n[3] / 3, color: n[4], label: n[0]}); });
d.edges.forEach(function (e) { if (!g.hasEdge(e[0], e[1])) { g.addEdge(e[0], e[1], {color: e[2], size: 1}); } });
window.renderer = new Sigma(g, document.getElementById("m"), {renderEdgeLabels: false});
function finish() { document.querySelectorAll("#m canvas").forEach(function (c) { var gl = c.getContext("webgl2") || c.getContext("webgl"); if (gl) { gl.finish(); } }); }
finish();
window.readyMs = performance.now();  // sigma renders in its constructor; finish() waits for the GPU
window.redrawMs = function () {
  var t = performance.now(), s = renderer.getCamera().getState();
  renderer.getCamera().setState({x: s.x, y: s.y, ratio: s.ratio / 1.25, angle: 0}); renderer.render(); finish();
  return performance.now() - t;
};
</script></body></html>""",
}


def renderer_pages(n: int, out: Path, sigma_dir: Path) -> dict[str, Path]:
    """The same ``n``-party map (positions, sizes, colours, one line per pair) as a bare page of each library."""
    from trustgraph.render.map import _options, vis_network_js

    tables = synthetic_tables(n)
    m = map_data(project(tables), tables, max_nodes=n, generated_at="benchmark")
    pairs: dict[tuple[str, str], str] = {}
    for e in m.edges:
        key = (min(e["from"], e["to"]), max(e["from"], e["to"]))
        pairs.setdefault(key, m.styles[e["kind"] + e["sign"]]["color"])
    data = {"nodes": [[v["id"], v["x"], v["y"], v["size"], v["color"]["background"]] for v in m.nodes],
            "edges": [[a, b, c] for (a, b), c in pairs.items()], "options": _options(False)}
    libs = {"vis-network": vis_network_js(),
            "sigma": "\n".join((sigma_dir / f).read_text(encoding="utf-8") for f in
                               ("graphology/package/dist/graphology.umd.min.js", "sigma/package/dist/sigma.min.js"))}
    paths = {}
    for name, page in _RENDERER_PAGES.items():
        path = out / f"renderer-{name}-{n}.html"
        # str.replace, not format: the libraries are full of braces.
        path.write_text(page.replace("%DATA%", embed_json(data)).replace("%LIB%", libs[name]), encoding="utf-8")
        paths[name] = path
    print(f"{n:,} parties, {len(pairs):,} lines (one per pair)")
    return paths


def compare_renderers(n: int, sigma_dir: Path, out: Path, repeats: int = 3) -> None:
    """First complete frame and one zoom redraw of each library on the same ``n``-party map."""
    paths = renderer_pages(n, out, sigma_dir)
    with Chromium(timeout=180.0) as browser:
        for name, path in paths.items():
            ready, redraw = [], []
            for _ in range(repeats):
                page = browser.new_page(offline=True)
                try:
                    page.goto(path.as_uri())
                    ready.append(float(page.wait_for("window.readyMs", timeout=120.0)))
                    redraw.append(float(page.evaluate("redrawMs()")))
                finally:
                    browser.send("Target.closeTarget", targetId=page.target)
            print(f"  {name:<12} page {path.stat().st_size / 2**20:5.1f} MiB  ready "
                  + ", ".join(f"{r:,.0f}" for r in ready) + " ms  zoom redraw "
                  + ", ".join(f"{r:,.0f}" for r in redraw) + " ms", flush=True)


def run(sizes: list[int], peer: bool, keep: Path | None, peer_timeout: float) -> None:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="tg-map-bench-") as tmp:
            _run(sizes, peer, Path(tmp), peer_timeout)
    else:
        keep.mkdir(parents=True, exist_ok=True)
        _run(sizes, peer, keep, peer_timeout)


def _run(sizes: list[int], peer: bool, out: Path, peer_timeout: float) -> None:
    rows: list[dict[str, Any]] = []
    with Chromium(timeout=max(120.0, peer_timeout + 30)) as browser:
        print(f"browser: {browser.version.get('product')}; files in {out}")
        for n in sizes:
            tables = synthetic_tables(n)
            t0 = time.perf_counter()
            G = project(tables)
            t_project = time.perf_counter() - t0

            t0 = time.perf_counter()
            m = map_data(G, tables, max_nodes=n, generated_at="benchmark")
            t_data = time.perf_counter() - t0
            t0 = time.perf_counter()
            page = render_html(m)
            path = out / f"trustgraph-{n}.html"
            path.write_text(page, encoding="utf-8")
            t_generate = t_data + time.perf_counter() - t0
            t0 = time.perf_counter()
            ids, ties = [v["id"] for v in m.nodes], [(e["from"], e["to"]) for e in m.edges if e["kind"] != "chain"]
            if m.aggregate:  # the layout map_data used: one disc per community
                community_positions(ids, ties, {v["id"]: v["community"] for v in m.nodes}, seed=0,
                                    base=layout_positions(ids, ties, scale=1.0))
            else:
                layout_positions(ids, ties)
            t_layout = time.perf_counter() - t0
            got = page_ready_ms(browser, path, "window.trustgraphMap && trustgraphMap.readyMs", 120.0,
                                then="trustgraphMap.complete && trustgraphMap.timings")
            ready, timings = got if isinstance(got, tuple) else (got, {})
            row: dict[str, Any] = {
                "n": n, "edges": len(m.edges), "graph_edges": G.number_of_edges(), "physics": m.physics,
                "project_s": t_project, "generate_s": t_generate, "layout_s": t_layout,
                "html_bytes": len(page.encode("utf-8")), "html_mib": len(page.encode("utf-8")) / 2**20,
                "ready_ms": ready, "details_ms": timings.get("details"), "rss_mib": peak_rss_mib(),
                "communities": len(m.aggregate.get("communities", [])),
            }
            if peer:
                t0 = time.perf_counter()
                from pyvis.network import Network

                net = Network(directed=True, cdn_resources="in_line")
                net.from_nx(copy.deepcopy(G))
                peer_html = net.generate_html()
                peer_path = out / f"pyvis-{n}.html"
                peer_path.write_text(peer_html, encoding="utf-8")
                row["pyvis_generate_s"] = time.perf_counter() - t0
                row["pyvis_ready_ms"] = page_ready_ms(browser, peer_path, "window.__firstDrawMs", peer_timeout)
            rows.append(row)
            print(_line(row), flush=True)
    print()
    print("targets: 5,000 nodes generated <= 10 s and ready <= 3,000 ms; 20,000 ready <= 5,000 ms")


def _line(r: dict[str, Any]) -> str:
    ready = r["ready_ms"] if isinstance(r["ready_ms"], str) else f"{r['ready_ms']:,.0f} ms"
    drawn = f"{r['communities']} communities" if r["communities"] else ("physics" if r["physics"] else "static")
    text = (f"{r['n']:>6,} nodes {r['edges']:>7,} ties ({drawn})  "
            f"project {r['project_s']:6.2f} s  generate {r['generate_s']:6.2f} s (layout {r['layout_s']:.2f} s)  "
            f"html {r['html_bytes']:,} B ({r['html_mib']:.1f} MiB)  ready {ready:>9}"
            + (f" (details {r['details_ms']:,.0f} ms)" if r.get("details_ms") else "")
            + f"  peak RSS {r['rss_mib']:,.0f} MiB")
    if "pyvis_generate_s" in r:
        peer = r["pyvis_ready_ms"]
        text += (f"  | pyvis ({r['graph_edges']:,} edges): generate {r['pyvis_generate_s']:6.2f} s, first draw "
                 + (peer if isinstance(peer, str) else f"{peer:,.0f} ms"))
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="500,2000,5000", help="comma-separated node counts")
    parser.add_argument("--no-peer", action="store_true", help="skip the Pyvis peer")
    parser.add_argument("--peer-timeout", type=float, default=45.0, help="seconds to wait for Pyvis's page")
    parser.add_argument("--keep", type=Path, default=None, help="write the pages to this folder")
    parser.add_argument("--renderers", type=int, default=0, metavar="N",
                        help="instead: compare vis-network and sigma.js drawing the same N-party map, not aggregated")
    parser.add_argument("--sigma", type=Path, default=Path("/tmp/sigma-npm"),
                        help="folder with sigma/ and graphology/ unpacked from `npm pack sigma graphology`")
    args = parser.parse_args(argv)
    if args.renderers:
        with tempfile.TemporaryDirectory(prefix="tg-renderers-") as tmp:
            compare_renderers(args.renderers, args.sigma, args.keep or Path(tmp))
        return
    run([int(s) for s in args.sizes.split(",")], not args.no_peer, args.keep, args.peer_timeout)


if __name__ == "__main__":
    main()
