"""Headless Chromium (Debian's) driven over the DevTools protocol on a pipe: no extra packages.

The flags keep it off the network and out of the machine's profile: a fresh --user-data-dir each time."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="ketab-chromium-")
        r_cmd, w_cmd = os.pipe()  # we write commands → chromium reads fd 3
        r_res, w_res = os.pipe()  # chromium writes results on fd 4 → we read
        # out of the way of 3 and 4 first, then onto them (chromium reads fd 3, writes fd 4)
        r_hi, w_hi = os.dup2(r_cmd, 100), os.dup2(w_res, 101)

        def setup():
            os.dup2(r_hi, 3)
            os.dup2(w_hi, 4)
        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=setup, pass_fds=(3, 4, r_hi, w_hi), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for fd in (r_cmd, w_res, r_hi, w_hi):
            os.close(fd)
        self.w = os.fdopen(w_cmd, "wb", buffering=0)
        self.r = os.fdopen(r_res, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _read(self) -> dict:
        while b"\0" not in self.buf:
            chunk = self.r.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: bool = False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params):
        return self.call(method, session=True, **params)

    def goto(self, url: str, width: int = 1280, height: int = 800, mobile: bool = False) -> None:
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        self.events.clear()
        self.page("Page.navigate", url=url)
        deadline = time.time() + 30
        while time.time() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                break
            self.events.append(self._read())
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str):
        res = self.page("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (works with the page's scripts disabled)."""
        root = self.page("DOM.getDocument", depth=0)["root"]["nodeId"]
        node = self.page("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise AssertionError(f"no element {selector!r}")
        self.page("DOM.scrollIntoViewIfNeeded", nodeId=node)
        quad = self.page("DOM.getBoxModel", nodeId=node)["model"]["content"]
        x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path, full_page: bool = True) -> None:
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            w = self.evaluate("document.documentElement.scrollWidth")
            h = self.evaluate("Math.min(document.documentElement.scrollHeight, 6000)")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        data = self.page("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
