"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Why this route: the pipe transport is CDP on two file descriptors (3: commands in, 4:
events out, each message JSON ended by a NUL byte), so it needs no websocket library,
opens no debugging port (the test that checks "no network" does not itself listen on
one), and gives structured events: ``Runtime.exceptionThrown`` and console/log errors
(JavaScript errors), ``Network.requestWillBeSent`` (every request the page made), plus
``Runtime.evaluate`` (what Bokeh rendered) and ``Page.captureScreenshot``.
``--dump-dom`` would not see inside Bokeh's shadow DOM, and selenium would add a
driver and a package.

As a second guard, any http(s) request is also failed by the browser itself
(``Fetch`` interception) and DNS is mapped to nowhere, so a page that tried to fetch a
CDN would break visibly rather than silently succeed on a networked machine.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--proxy-server=127.0.0.1:9",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    exceptions: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""

    @property
    def network_requests(self) -> list[str]:
        return [u for u in self.requests if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]


class Chromium:
    """One headless Chromium, driven over the CDP pipe."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="atlas-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        args = " ".join(f"'{a}'" for a in (binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"))
        # bash puts the pipes on fds 3 and 4, where --remote-debugging-pipe expects them
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec 3<&{cmd_r} 4>&{out_w}; exec {args}"],
            pass_fds=(cmd_r, out_w), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._out_r)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ---
    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._out_r], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe: "
                                       + (self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""))
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply is None:
                raise TimeoutError(f"no reply to {method} within {self.timeout} s")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result") or {})
            self.events.append(reply)

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                return
            self.events.append(msg)

    # --- a page ---
    def open(self, url: str, *, width: int = 1280, height: int = 900, settle: float = 1.5,
             ready: str = "true", ready_timeout: float = 45.0, probes: dict[str, str] | None = None) -> PageReport:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "http*"}, {"urlPattern": "ws*"}]}, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + ready_timeout
        loaded = False
        while time.monotonic() < deadline:
            self.pump(0.3)
            loaded = loaded or any(e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session
                                   for e in self.events)
            self._fail_fetches(session)
            if loaded and self.evaluate(ready, session) is True:
                break
        else:
            raise TimeoutError(f"page not ready ({ready}) within {ready_timeout} s")
        self.pump(settle)
        self._fail_fetches(session)
        report = PageReport()
        for name, expr in (probes or {}).items():
            report.values[name] = self.evaluate(expr, session)
        metrics = self.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics.get("contentSize") or {"width": width, "height": height}
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": max(size["width"], width), "height": size["height"], "scale": 1},
        }, session=session)
        report.screenshot = base64.b64decode(shot["data"])
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            method, params = e.get("method"), e.get("params") or {}
            if method == "Runtime.exceptionThrown":
                d = params.get("exceptionDetails") or {}
                report.exceptions.append(str((d.get("exception") or {}).get("description") or d.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args") or []))
            elif method == "Log.entryAdded" and (params.get("entry") or {}).get("level") == "error":
                report.console_errors.append(str(params["entry"].get("text")))
            elif method == "Network.requestWillBeSent":
                report.requests.append(str((params.get("request") or {}).get("url")))
        return report

    def _fail_fetches(self, session: str) -> None:
        for e in self.events:
            if e.get("method") == "Fetch.requestPaused" and e.get("sessionId") == session and not e.get("_done"):
                e["_done"] = True
                self.send("Fetch.failRequest", {"requestId": e["params"]["requestId"], "errorReason": "BlockedByClient"},
                          session=session)

    def evaluate(self, expression: str, session: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session=session)
        if "exceptionDetails" in res:
            return {"error": res["exceptionDetails"].get("text")}
        return (res.get("result") or {}).get("value")


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
