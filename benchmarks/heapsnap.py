"""Heap snapshots of a Chromium page over CDP, summarised by object type (what grows).

Used by ``benchmarks/wall.py --snapshots`` to find what the wall's page keeps: a forced GC,
then ``HeapProfiler.takeHeapSnapshot`` streamed over the page's DevTools websocket (the
snapshot arrives as events, which selenium's ``execute_cdp_cmd`` does not return), then
counts and self sizes per (node type, constructor name).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import websocket

__all__ = ["compare", "summarise", "take_snapshot"]


def _page_socket(driver) -> websocket.WebSocket:
    """A DevTools websocket to the driver's current page (beside chromedriver's own)."""
    import urllib.request

    address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
    with urllib.request.urlopen(f"http://{address}/json", timeout=10) as response:
        targets = json.loads(response.read())
    page = next(t for t in targets if t.get("type") == "page")
    return websocket.create_connection(
        page["webSocketDebuggerUrl"], timeout=300, suppress_origin=True
    )


def take_snapshot(driver) -> dict[str, Any]:
    """The page's heap snapshot (parsed JSON) after two forced garbage collections."""
    ws = _page_socket(driver)
    try:
        ident = 0

        def call(method: str, **params: Any) -> None:
            nonlocal ident
            ident += 1
            ws.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == ident:
                    return message
                if message.get("method") == "HeapProfiler.addHeapSnapshotChunk":
                    chunks.append(message["params"]["chunk"])

        chunks: list[str] = []
        call("HeapProfiler.enable")
        call("HeapProfiler.collectGarbage")
        call("HeapProfiler.collectGarbage")
        call("HeapProfiler.takeHeapSnapshot", reportProgress=False)
        call("HeapProfiler.disable")
    finally:
        ws.close()
    return json.loads("".join(chunks))


def summarise(snapshot: dict[str, Any]) -> Counter:
    """``{(type, name): [count, self bytes]}`` over every node (names of strings and
    code cut to a type label, so the keys stay few)."""
    meta = snapshot["snapshot"]["meta"]
    fields = meta["node_fields"]
    width = len(fields)
    types = meta["node_types"][0]
    t_i, n_i, s_i = fields.index("type"), fields.index("name"), fields.index("self_size")
    nodes, strings = snapshot["nodes"], snapshot["strings"]
    counts: Counter = Counter()
    sizes: Counter = Counter()
    for base in range(0, len(nodes), width):
        kind = types[nodes[base + t_i]]
        named = kind in ("object", "closure", "native")
        name = strings[nodes[base + n_i]][:80] if named else ""
        key = (kind, name)
        counts[key] += 1
        sizes[key] += nodes[base + s_i]
    return Counter({k: (counts[k], sizes[k]) for k in counts})


def compare(before: Counter, after: Counter, top: int = 30) -> list[dict[str, Any]]:
    """The types whose self size grew most from ``before`` to ``after``."""
    rows = []
    for key in set(before) | set(after):
        c0, s0 = before.get(key, (0, 0))
        c1, s1 = after.get(key, (0, 0))
        rows.append(
            {
                "type": key[0],
                "name": key[1],
                "count": [c0, c1],
                "kb": [s0 // 1024, s1 // 1024],
                "grew_kb": (s1 - s0) / 1024,
            }
        )
    rows.sort(key=lambda r: -r["grew_kb"])
    return rows[:top]
