"""A minimal, dependency-free driver for headless Chromium over the DevTools protocol (pipe transport).

Chromium started with ``--remote-debugging-pipe`` reads DevTools commands from file descriptor 3 and
writes replies and events to descriptor 4, one JSON message per NUL-terminated frame. That is all
the map tests and the map benchmark need: open a page, run JavaScript in it, move the mouse, collect
console errors, exceptions and network requests, and accept downloads. No websocket library, no
browser download (Debian's ``chromium`` is used).
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "Chromium", "Page", "DevToolsError"]

#: Flags for a quiet, offline, reproducible headless browser.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    # Networking unavailable to the page: every host name fails to resolve, and no proxy is tried.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-proxy-server",
    "--allow-file-access-from-files",
)


class DevToolsError(RuntimeError):
    """A DevTools command failed, timed out, or the browser went away."""


def find_chromium() -> str | None:
    """Path of the Chromium binary: ``$TRUSTGRAPH_CHROMIUM``, else ``chromium`` on the PATH."""
    explicit = os.environ.get("TRUSTGRAPH_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    """A headless Chromium process driven over ``--remote-debugging-pipe`` (use as a context manager).

    Parameters
    ----------
    binary : str, optional
        The browser (default: :func:`find_chromium`).
    timeout : float
        Seconds to wait for any one DevTools reply (a hang guard, not a measurement).
    """

    def __init__(self, binary: str | None = None, *, timeout: float = 60.0) -> None:
        path = binary or find_chromium()
        if not path:
            raise DevToolsError("chromium not found (install Debian's chromium or set TRUSTGRAPH_CHROMIUM)")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="tg-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser expects the pipes at descriptors 3 and 4; F_DUPFD to ≥ 10 first so the dup2 calls
        # below cannot clobber each other whatever numbers os.pipe returned.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)

        def child_fds() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [path, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
                "--window-size=1400,900", "about:blank"]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     close_fds=False, preexec_fn=child_fds)
        for fd in (to_browser_r, from_browser_w, high_r, high_w):
            os.close(fd)
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.version = self.send("Browser.getVersion")

    # -- transport ---------------------------------------------------------------------------------
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    q = self._replies.get(msg["id"])
                    if q is not None:
                        q.put(msg)
                else:
                    for listener in list(self._listeners):
                        listener(msg)
        self._closed = True
        for q in list(self._replies.values()):
            q.put({"error": {"message": "browser closed the DevTools pipe"}})

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its result."""
        if self._closed:
            raise DevToolsError("the browser is gone")
        with self._lock:
            self._next_id += 1
            msg_id = self._next_id
            self._replies[msg_id] = queue.Queue()
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            written = os.write(self._to_browser, data)
            data = data[written:]
        try:
            reply = self._replies[msg_id].get(timeout=self.timeout)
        except queue.Empty as err:
            raise DevToolsError(f"{method}: no reply within {self.timeout:.0f} s") from err
        finally:
            self._replies.pop(msg_id, None)
        if "error" in reply:
            raise DevToolsError(f"{method}: {reply['error'].get('message')}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.append(listener)

    # -- pages -------------------------------------------------------------------------------------
    def new_page(self, *, width: int = 1400, height: int = 900, offline: bool = True,
                 downloads: Path | None = None) -> Page:
        """A fresh tab with console, exception and network logging on."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, target, session)
        self.listen(page._on_event)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        if offline:
            self.send("Network.emulateNetworkConditions", session, offline=True, latency=0,
                      downloadThroughput=-1, uploadThroughput=-1)
        if downloads is not None:
            self.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads),
                      eventsEnabled=True)
        return page

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("Browser.close")
            except DevToolsError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab: navigate, evaluate, wait, and what it logged."""

    def __init__(self, browser: Chromium, target: str, session: str) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.errors: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.downloads: list[dict[str, Any]] = []
        self._loaded = threading.Event()

    def _on_event(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method", ""), msg.get("params", {})
        if method.startswith("Browser.download"):
            self.downloads.append({"event": method, **params})
            return
        if msg.get("sessionId") != self.session:
            return
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append((params.get("type", ""), text))
            if params.get("type") in ("error", "assert"):
                self.errors.append("console.error: " + text)
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Page.loadEventFired":
            self._loaded.set()

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self._loaded.clear()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise DevToolsError(f"cannot open {url}: {result['errorText']}")
        if not self._loaded.wait(self.browser.timeout):
            raise DevToolsError(f"{url}: no load event within {self.browser.timeout:.0f} s")

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The JSON value of a JavaScript expression (exceptions raise :class:`DevToolsError`)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise,
                           userGesture=True)
        if "exceptionDetails" in result:
            d = result["exceptionDetails"]
            raise DevToolsError(f"{expression[:80]}: {d.get('exception', {}).get('description') or d.get('text')}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float | None = None, interval: float = 0.05) -> Any:
        """Poll until ``expression`` is truthy; return its value (a hang guard, not a measurement)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.browser.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise DevToolsError(f"timed out waiting for {expression!r}")
            time.sleep(interval)

    def mouse_move(self, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_text(self, text: str) -> None:
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                      nativeVirtualKeyCode=13, **({"text": "\r"} if kind == "keyDown" else {}))

    def screenshot(self, path: Path) -> Path:
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path
