"""A headless Chromium driven over the DevTools protocol on a pipe (no extra packages).

`--remote-debugging-pipe` makes Chromium read protocol messages from fd 3 and write its answers
to fd 4, NUL-terminated JSON, which is all a test needs to load a page, wait for a condition,
read the DOM and take a screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["Browser", "BrowserError", "find_chromium"]

# Flags from the environment's notes: without the background-networking ones Chromium keeps
# trying to reach update and sync servers. The resolver rule makes every lookup fail, so the page
# cannot reach the network even if something in it tried.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1280,900",
    "--remote-debugging-pipe",
)

# Installed before any page script runs: CSP violations and uncaught errors become data.
_RECORDER = """
window.__shopgenEvents = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__shopgenEvents.push("csp " + e.violatedDirective + " " + e.blockedURI);
});
window.addEventListener("error", function (e) {
  window.__shopgenEvents.push("error " + e.message);
});
"""


# What the browser answers an evaluation that a navigation interrupted.
NAVIGATED = "Inspected target navigated or closed"


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    configured = os.environ.get("SHOPGEN_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One Chromium process with one page; use as a context manager."""

    def __init__(self, executable: str, *, timeout: float = 30.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self._requests: dict[str, str] = {}
        self._blocked: dict[str, str] = {}
        self._next_id = 0
        self._buffer = b""
        self._session: str | None = None

    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="shopgen-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Chromium's ends of the pipes must become its fds 3 and 4. Move them above 10 first so
        # that the dup2 calls in the child cannot overwrite one with the other.
        child_r, child_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w)
        )
        os.close(to_child_r)
        os.close(from_child_w)

        def wire_pipes() -> None:
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        args = [*_FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        self._process = subprocess.Popen(
            [self.executable, *args],
            preexec_fn=wire_pipes,  # noqa: PLW1509 - single-threaded test process
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("SHOPGEN_CHROMIUM_LOG") else subprocess.DEVNULL,
        )
        os.close(child_r)
        os.close(child_w)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")
        self.call("Network.enable")
        self.call(
            "Network.emulateNetworkConditions",
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        self.call("Page.addScriptToEvaluateOnNewDocument", source=_RECORDER)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._session = None
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self._profile.cleanup()

    # -- protocol ----------------------------------------------------------------------------

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session is not None and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self._session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            event, params = reply.get("method"), reply.get("params", {})
            if event == "Network.requestWillBeSent":
                self._requests[params["requestId"]] = params["request"]["url"]
            elif event == "Network.loadingFailed" and params.get("blockedReason"):
                self._blocked[params["requestId"]] = params["blockedReason"]

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], remaining)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    # -- page --------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        self._requests.clear()
        self._blocked.clear()
        self.call("Page.navigate", url=url)

    def requests(self) -> list[str]:
        """URLs the page asked for since `open`, except those the browser blocked (e.g. by CSP)."""
        self.evaluate("0")  # drain the events that arrived meanwhile
        return [url for key, url in self._requests.items() if key not in self._blocked]

    def blocked(self) -> dict[str, str]:
        """URLs the browser refused to request, with the reason (`csp`, …)."""
        return {self._requests.get(key, key): reason for key, reason in self._blocked.items()}

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 30.0) -> None:
        """Poll a JavaScript condition until it holds; fail with the page's events if not."""
        deadline = time.monotonic() + timeout
        # Until navigation commits, the expression runs against the previous document, where
        # its elements may not exist yet: an exception there means "not yet", not failure.
        guarded = (
            f"(() => {{ try {{ return Boolean({expression}); }} catch (e) {{ return false; }} }})()"
        )
        while time.monotonic() < deadline:
            try:
                if self.evaluate(guarded):
                    return
            except BrowserError as error:
                # The page navigated while the expression ran: ask the new document next.
                if NAVIGATED not in str(error):
                    raise
            time.sleep(0.1)
        raise BrowserError(f"timed out waiting for {expression}; page events: {self.events()}")

    def events(self) -> list[str]:
        return list(self.evaluate("window.__shopgenEvents || []"))

    def text(self, selector: str) -> str:
        expression = f"(document.querySelector({json.dumps(selector)}) || {{}}).textContent || ''"
        return str(self.evaluate(expression))

    def click(self, selector: str) -> None:
        """Click the middle of the element as a person would: mouse down and up at that spot."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Type `text` into the focused element."""
        self.call("Input.insertText", text=text)

    def press(self, key: str, code: int) -> None:
        """Press and release one key, e.g. `press("Enter", 13)`."""
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=key,
                windowsVirtualKeyCode=code,
                nativeVirtualKeyCode=code,
            )

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
