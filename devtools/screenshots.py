"""
Screenshots of the demo as a new user sees it, and a check of what they show.

Drives a headless Chromium over the DevTools protocol (aiohttp websockets, no
other dependency) against a running ``scripts/develop``; the Debian root has
Chromium's headless shell (``scripts/_env.sh``), which ``--chromium`` starts::

    scripts/run 'python -m devtools.screenshots --chromium chromium-headless-shell'

Without ``--chromium`` it connects to a Chromium already listening on
``--devtools`` (default http://127.0.0.1:9222; the chroot of ``scripts/run``
shares the host's network, so that one may run on the host).

It logs in with the dev account through Home Assistant's REST auth flow and
puts the tokens into ``localStorage.hassTokens`` before the frontend loads, so
no login form is filled. Then it captures the integration page, every device
page of ours, the Activity page, the add-integration flow (menu, Linky form, the
error for ``/dev/null``) and the options dialog. For each page it extracts the
visible text through the shadow DOMs and reports raw translation keys, error
texts and "None" values. Over the REST/websocket API it also counts logbook
entries per device and minute, lists entities without a value or with padded
text, runs the add flow with inputs that must fail (reporting each error key and
its English text) and checks the entity IDs the README's examples use.

Writes ``NN_name.png``, ``NN_name.txt`` (visible text) and ``report.json``
into the output folder and prints a summary.

The browser test (``tests/e2e/test_browser.py``) uses the parts directly:
:func:`start_chromium` (a free DevTools port, read back with
:func:`devtools_port`), :func:`browser_page` (a logged-in tab as a
:class:`Shooter`), :meth:`Shooter.capture` (load, wait until ready or raise
:class:`PageNotReadyError`, shoot) and :func:`page_problems`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import json
import os
from pathlib import Path
import re
import signal
import subprocess
import tempfile
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
DOMAIN = "energy_meters"
DEV_USER = "dev"
DEV_PASSWORD = "dev-energy-meters"  # noqa: S105 - documented local demo account
TRANSLATIONS = REPO / "custom_components" / DOMAIN / "translations" / "en.json"

# Entity IDs the README's automation examples use.
README_ENTITY_IDS = (
    "sensor.linky_tempo_colour_tomorrow",
    "binary_sensor.linky_reference_power_exceeded",
)

# Add-flow inputs that must be refused, with a short label for the report.
BAD_PORTS: tuple[tuple[str, str], ...] = (
    ("dev_null", "/dev/null"),
    ("regular_file", str(REPO / "README.md")),
    ("unknown_host", "socket://no-such-host.invalid:1"),
    ("refused", "socket://127.0.0.1:1"),
)

# --- visible-text analysis (pure) ----------------------------------------------------

RAW_KEY_RES = (
    re.compile(r"component\.[a-z0-9_]+\.[a-z0-9_.]+"),
    re.compile(r"\[%key:[^\]]*\]?"),
    re.compile(r"\bui\.(?:panel|dialogs|components|common|card)\.[a-z0-9_.]+"),
    re.compile(r"\bstate\.[a-z0-9_]+\.[a-z0-9_.]+"),
)
ERROR_RE = re.compile(r"\b(?:unknown error|unexpected error|error|failed)\b", re.IGNORECASE)
NONE_RE = re.compile(r"(?:^|\s)None(?:\s|$)")
# a lone identifier such as ``tempo_colour_tomorrow``: an untranslated name or state
SNAKE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def find_raw_keys(lines: Iterable[str]) -> list[str]:
    """Text that looks like an untranslated key (``component.x.y``, ``[%key:…]``)."""
    found: list[str] = []
    for line in lines:
        for regex in RAW_KEY_RES:
            found.extend(match.group(0) for match in regex.finditer(line))
    return _unique(found)


def find_errors(lines: Iterable[str]) -> list[str]:
    """Lines that speak of an error."""
    return _unique(line for line in lines if ERROR_RE.search(line))


def find_none(lines: Iterable[str]) -> list[str]:
    """Lines that show a Python ``None`` as a value."""
    return _unique(line for line in lines if NONE_RE.search(line))


def find_identifiers(lines: Iterable[str]) -> list[str]:
    """Lines that are a bare snake_case identifier (a missing translation)."""
    return _unique(line for line in lines if SNAKE_RE.match(line))


def analyse_text(lines: Sequence[str], known: Collection[str] = ()) -> dict[str, list[str]]:
    """
    Everything suspicious in a page's visible text.

    A line that is one of the ``known`` texts (our translated entity names and
    states, see :func:`translated_texts`) is what the translation says, not an
    error message or a Python ``None``: a sensor named "Error register", a
    Tempo colour whose state reads "None". Raw keys are looked for everywhere.
    """
    checked = [line for line in lines if line not in known]
    return {
        "raw_translation_keys": find_raw_keys(lines),
        "errors": find_errors(checked),
        "none_values": find_none(checked),
        "bare_identifiers": find_identifiers(checked),
    }


def translated_texts(translations: Mapping[str, Any]) -> frozenset[str]:
    """Return the entity names and state texts of a translations file (what pages show verbatim)."""
    texts: set[str] = set()
    for platform in translations.get("entity", {}).values():
        for entity in platform.values():
            if isinstance(entity.get("name"), str):
                texts.add(entity["name"])
            texts.update(v for v in entity.get("state", {}).values() if isinstance(v, str))
    return frozenset(texts)


#: what no page may show: untranslated keys (raw, or a bare ``snake_case`` name or
#: state), error texts, and Python's ``None`` as a value
FAILING_FINDINGS = ("raw_translation_keys", "errors", "bare_identifiers", "none_values")


def page_problems(
    pages: Mapping[str, Mapping[str, Any]], kinds: Sequence[str] = FAILING_FINDINGS
) -> list[str]:
    """One line per page and kind of finding that must not be there (``pages``: stem -> findings)."""
    return [
        f"{stem}: {kind}: {page[kind]}"
        for stem, page in pages.items()
        for kind in kinds
        if page.get(kind)
    ]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def hass_tokens(tokens: Mapping[str, Any], hass_url: str, client_id: str, now: float) -> str:
    """Build the ``localStorage.hassTokens`` value the frontend reads on start."""
    expires_in = int(tokens.get("expires_in", 1800))
    return json.dumps(
        {
            "access_token": tokens["access_token"],
            "token_type": tokens.get("token_type", "Bearer"),
            "expires_in": expires_in,
            "refresh_token": tokens.get("refresh_token"),
            "hassUrl": hass_url,
            "clientId": client_id,
            "expires": int(now * 1000) + expires_in * 1000,
        }
    )


def logbook_rates(
    entries: Iterable[Mapping[str, Any]],
    device_of_entity: Mapping[str, str],
    *,
    start: float,
    end: float,
) -> dict[str, Any]:
    """
    Logbook entries of our devices: count, per minute, per entity, per minute bucket.

    ``device_of_entity`` maps our entity IDs to a device name; other entries are
    ignored. ``start``/``end`` (Unix time) is the period the rate is taken over.
    """
    minutes = max((end - start) / 60.0, 1 / 60)
    per_device: dict[str, Counter[str]] = defaultdict(Counter)
    buckets: dict[str, Counter[int]] = defaultdict(Counter)
    total_all = 0
    for entry in entries:
        total_all += 1
        entity_id = entry.get("entity_id")
        if not isinstance(entity_id, str) or entity_id not in device_of_entity:
            continue
        device = device_of_entity[entity_id]
        per_device[device][entity_id] += 1
        when = entry.get("when")
        if isinstance(when, (int, float)):
            buckets[device][int((when - start) // 60)] += 1
    result: dict[str, Any] = {"minutes": round(minutes, 2), "all_entries": total_all, "devices": {}}
    for device in sorted(set(device_of_entity.values())):
        counts = per_device.get(device, Counter())
        total = sum(counts.values())
        result["devices"][device] = {
            "entries": total,
            "per_minute": round(total / minutes, 2),
            "busiest_minute": max(buckets[device].values(), default=0),
            "by_entity": dict(counts.most_common()),
        }
    return result


def write_rates(
    history: Iterable[Sequence[Mapping[str, Any]]],
    device_of_entity: Mapping[str, str],
    *,
    start: float,
    end: float,
) -> dict[str, Any]:
    """
    State changes the recorder kept, per device and minute, and the busiest entities.

    ``history`` is ``/api/history/period``'s answer: one list per entity whose
    first item is the state at the start of the period (not counted).
    """
    minutes = max((end - start) / 60.0, 1 / 60)
    per_device: dict[str, Counter[str]] = defaultdict(Counter)
    for rows in history:
        if not rows:
            continue
        entity_id = rows[0].get("entity_id")
        if isinstance(entity_id, str) and entity_id in device_of_entity:
            per_device[device_of_entity[entity_id]][entity_id] += len(rows) - 1
    return {
        device: {
            "writes": sum(counts.values()),
            "per_minute": round(sum(counts.values()) / minutes, 1),
            "busiest": {k: round(v / minutes, 1) for k, v in counts.most_common(5)},
        }
        for device, counts in sorted(per_device.items())
    }


def padded_states(states: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Entity states with leading/trailing blanks or runs of blanks (TIC padding)."""
    return {
        state["entity_id"]: state["state"]
        for state in states
        if isinstance(state.get("state"), str)
        and (state["state"] != state["state"].strip() or "  " in state["state"])
    }


def render(template: str, placeholders: Mapping[str, Any] | None) -> str:
    """Fill ``{name}`` placeholders the way the frontend does (missing ones stay)."""
    text = template
    for key, value in (placeholders or {}).items():
        text = text.replace("{" + key + "}", str(value))
    return text


def slug(text: str) -> str:
    """File-name-safe lower-case form of a name."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


# --- browser-side scripts ------------------------------------------------------------

# Visible text in rendering order, through shadow roots and slots (composed tree):
# a shadow host is walked through its shadow root only, and a <slot> through the
# nodes assigned to it, so unslotted light-DOM children are not reported.
JS_VISIBLE_TEXT = r"""
(() => {
  const out = [];
  const skip = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.replace(/\s+/g, ' ').trim();
      if (text) out.push(text);
      return;
    }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (skip.has(node.tagName)) return;
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden') return;
      if ((node.tagName === 'INPUT' || node.tagName === 'TEXTAREA') && node.value) {
        out.push('[' + node.value + ']');
      }
      if (node.tagName === 'SLOT') {
        const assigned = node.assignedNodes();
        if (assigned.length) { assigned.forEach(walk); return; }
      }
      if (node.shadowRoot) { walk(node.shadowRoot); return; }
    }
    node.childNodes.forEach(walk);
  };
  walk(document.body);
  return out;
})()
"""

# How much taller than the viewport the page's content is (window or inner scroller).
JS_EXTRA_HEIGHT = r"""
(() => {
  let extra = document.documentElement.scrollHeight - window.innerHeight;
  const walk = (node) => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      const style = getComputedStyle(node);
      if ((style.overflowY === 'auto' || style.overflowY === 'scroll')
          && node.scrollHeight > node.clientHeight + 2) {
        extra = Math.max(extra, node.scrollHeight - node.clientHeight);
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    node.childNodes.forEach(walk);
  };
  walk(document.documentElement);
  return Math.max(0, extra);
})()
"""

# After web fonts and two animation frames: the visible spinner (or progress bar), named
# by its tag and the shadow hosts around it, or null.
JS_BUSY = r"""
(async () => {
  await document.fonts.ready;
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  if (document.readyState !== 'complete') return 'document ' + document.readyState;
  const where = (el) => {
    const hosts = [];
    for (let root = el.getRootNode(); root.host; root = root.host.getRootNode()) {
      hosts.push(root.host.tagName.toLowerCase());
    }
    return el.tagName.toLowerCase() + (hosts.length ? ' in ' + hosts.slice(0, 4).join(' < ') : '');
  };
  const busy = new Set(['HA-SPINNER', 'HA-CIRCULAR-PROGRESS', 'MWC-CIRCULAR-PROGRESS',
                        'HA-LINEAR-PROGRESS', 'MWC-LINEAR-PROGRESS']);
  const stack = [document.documentElement];
  while (stack.length) {
    const node = stack.pop();
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (busy.has(node.tagName) && node.checkVisibility({opacityProperty: true, visibilityProperty: true})) {
        const rect = node.getBoundingClientRect();
        if (rect.width > 0 && rect.height > 0) return where(node);
      }
      if (node.shadowRoot) stack.push(node.shadowRoot);
    }
    stack.push(...node.childNodes);
  }
  return null;
})()
"""

# Centre of the first visible, uncovered element whose text, label, aria-label or
# title is one of NEEDLES.
JS_FIND = r"""
((needles) => {
  // the element a click at (x, y) reaches, through shadow roots
  const topmost = (x, y) => {
    let el = document.elementFromPoint(x, y);
    while (el && el.shadowRoot) {
      const inner = el.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  };
  // ancestry in the rendered (flat) tree: through slots and shadow hosts
  const composedContains = (outer, inner) => {
    for (let n = inner; n; n = n.assignedSlot || n.parentNode || n.host) if (n === outer) return true;
    return false;
  };
  // centre of el if it is visible and not covered (by a dialog's scrim, say)
  const hit = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) return null;
    const x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
    const top = topmost(x, y);
    if (!top || !(top.getRootNode() === el.getRootNode()
        || composedContains(el, top) || composedContains(top, el))) return null;
    return {x, y};
  };
  const stack = [document.documentElement];
  while (stack.length) {
    const node = stack.pop();
    if (node.nodeType === Node.ELEMENT_NODE) {
      for (const attr of ['aria-label', 'label', 'title']) {
        const value = node.getAttribute(attr);
        if (value && needles.includes(value.trim())) { const at = hit(node); if (at) return at; }
      }
      if (node.shadowRoot) stack.push(node.shadowRoot);
    } else if (node.nodeType === Node.TEXT_NODE) {
      if (needles.includes(node.textContent.trim()) && node.parentElement) {
        const at = hit(node.parentElement); if (at) return at;
      }
    }
    const children = Array.from(node.childNodes);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return null;
})
"""


# --- DevTools protocol ---------------------------------------------------------------


class CdpError(RuntimeError):
    """A DevTools command failed."""


class Cdp:
    """One page target over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Start reading replies and events."""
        self._ws = ws
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = defaultdict(list)
        self._listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = defaultdict(list)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(CdpError(str(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
            elif "method" in data:
                for waiter in self._waiters.pop(data["method"], []):
                    if not waiter.done():
                        waiter.set_result(data.get("params", {}))
                for listener in self._listeners.get(data["method"], []):
                    listener(data.get("params", {}))

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result."""
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self._ws.send_json({"id": self._next_id, "method": method, "params": params})
        async with asyncio.timeout(60):
            return await future

    def expect(self, event: str) -> asyncio.Future[dict[str, Any]]:
        """Return a future resolved by the next ``event``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[event].append(future)
        return future

    def listen(self, event: str, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback`` with the parameters of every ``event``."""
        self._listeners[event].append(callback)

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its JSON value."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CdpError(str(result["exceptionDetails"])[:500])
        return result.get("result", {}).get("value")

    async def close(self) -> None:
        """Stop reading."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class PageNotReadyError(RuntimeError):
    """A page did not show what it should (or kept loading) within its time bound."""


@dataclass(frozen=True)
class Readiness:
    """What one look at a page found: its text and whether it is still busy."""

    lines: list[str]
    #: the spinner or progress bar showing (``JS_BUSY``), if any
    busy: str | None = None

    def missing(self, ready_text: Sequence[str]) -> list[str]:
        """Return the expected texts the page does not show (yet)."""
        joined = "\n".join(self.lines)
        return [text for text in ready_text if text not in joined]

    def ready(self, ready_text: Sequence[str], previous: Readiness | None) -> bool:
        """
        Tell whether the page has rendered: all expected text, nothing loading, text held still.

        "Loading" alone on a line (or "Loading…") is what the frontend shows
        while it fetches; a sentence that contains the word is not.
        """
        loading = any(line.rstrip(".…") == "Loading" for line in self.lines)
        return (
            bool(self.lines)
            and not self.busy
            and not loading
            and not self.missing(ready_text)
            and previous is not None
            and previous.lines == self.lines
        )


@dataclass
class Shooter:
    """Takes the screenshots and keeps what each page showed."""

    cdp: Cdp
    base_url: str
    out_dir: Path
    width: int
    height: int
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: pause between two looks at a page (only the pace of polling: what is awaited is
    #: the page's state, see :meth:`Readiness.ready`)
    poll_interval: float = 0.25
    #: exceptions the page's scripts threw (description, first line)
    exceptions: list[str] = field(default_factory=list)
    #: texts that are translations, not findings (see :func:`analyse_text`)
    known_texts: Collection[str] = frozenset()
    _count: int = 0
    _ready_text: Sequence[str] = ()

    def note_exception(self, params: Mapping[str, Any]) -> None:
        """Keep a ``Runtime.exceptionThrown`` event's message."""
        details = params.get("exceptionDetails", {})
        text = (details.get("exception") or {}).get("description") or details.get("text", "")
        self.exceptions.append(str(text).split("\n", 1)[0][:300])

    async def goto(
        self,
        path: str,
        *,
        ready_text: Sequence[str] = (),
        strict: bool = False,
        seconds: float = 30,
    ) -> list[str]:
        """Load a frontend path and wait until it has rendered (see :meth:`wait_ready`)."""
        loaded = self.cdp.expect("Page.loadEventFired")
        await self.cdp.call("Page.navigate", url=self.base_url + path)
        try:
            async with asyncio.timeout(seconds):
                await loaded
        except TimeoutError:
            if strict:
                raise PageNotReadyError(f"{path}: no load event within {seconds:.0f} s") from None
        return await self.wait_ready(ready_text=ready_text, strict=strict, seconds=seconds)

    async def wait_ready(
        self, *, ready_text: Sequence[str] = (), strict: bool = True, seconds: float = 30
    ) -> list[str]:
        """
        Wait until the page shows every ``ready_text``, shows no spinner, and its text holds still.

        Each look waits for web fonts and two animation frames first. ``seconds``
        only bounds a page that never gets there: then ``strict`` raises
        :class:`PageNotReadyError` (with what was missing), else the text is
        returned as it is.
        """
        self._ready_text = tuple(ready_text)
        deadline = time.monotonic() + seconds
        previous: Readiness | None = None
        while True:
            look = await self.look()
            if look.ready(ready_text, previous):
                return look.lines
            if time.monotonic() > deadline:
                if not strict:
                    return look.lines
                raise PageNotReadyError(
                    f"not ready within {seconds:.0f} s: missing {look.missing(ready_text)},"
                    f" busy: {look.busy}; page text: {look.lines[-60:]}"
                )
            previous = look
            await asyncio.sleep(self.poll_interval)

    async def settle(self, *, ready_text: Sequence[str] = (), seconds: float = 30) -> list[str]:
        """Wait until the page has rendered, at most ``seconds``; return its text either way."""
        return await self.wait_ready(ready_text=ready_text, strict=False, seconds=seconds)

    async def look(self) -> Readiness:
        """Return the visible text and whether a spinner shows, once a frame is drawn."""
        busy = await self.cdp.evaluate(JS_BUSY)
        return Readiness(await self.text(), str(busy) if busy else None)

    async def text(self) -> list[str]:
        """Return the page's visible text, one string per text node."""
        value = await self.cdp.evaluate(JS_VISIBLE_TEXT)
        return [str(line) for line in value or []]

    async def capture(
        self, name: str, path: str, *, ready_text: Sequence[str] = (), full: bool = True
    ) -> dict[str, Any]:
        """Load ``path``, wait until it is ready (or raise), shoot it; return its findings."""
        await self.goto(path, ready_text=ready_text, strict=True)
        return await self.shoot(name, full=full, strict=True)

    async def shoot(self, name: str, *, full: bool = True, strict: bool = False) -> dict[str, Any]:
        """
        Save ``NN_name.png`` and ``.txt``; return the page's findings.

        ``full``: the viewport grows to the content's height first, and the page
        is awaited again (same texts as the last wait) before the capture.
        """
        self._count += 1
        stem = f"{self._count:02d}_{name}"
        height = self.height
        if full:
            extra = int(await self.cdp.evaluate(JS_EXTRA_HEIGHT) or 0)
            height = min(self.height + extra, 12000)
        if height != self.height:
            await self.set_viewport(height)
            await self.wait_ready(ready_text=self._ready_text, strict=strict)
        shot = await self.cdp.call("Page.captureScreenshot", format="png")
        lines = await self.text()
        if height != self.height:
            await self.set_viewport(self.height)
        (self.out_dir / f"{stem}.png").write_bytes(base64.b64decode(shot["data"]))
        (self.out_dir / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        findings: dict[str, Any] = {"file": f"{stem}.png", **analyse_text(lines, self.known_texts)}
        self.pages[stem] = findings
        print(f"  {stem}.png ({height} px high)")
        return findings

    async def set_viewport(self, height: int) -> None:
        """Resize the page's viewport."""
        await self.cdp.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def click(self, *needles: str) -> bool:
        """Click (real mouse events) the first visible element labelled one of ``needles``."""
        at = await self.cdp.evaluate(f"{JS_FIND}({json.dumps(list(needles))})")
        if not at:
            return False
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.cdp.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=at["x"],
                y=at["y"],
                button="left" if kind != "mouseMoved" else "none",
                clickCount=1 if kind != "mouseMoved" else 0,
            )
        return True

    async def type_text(self, text: str) -> None:
        """Type ``text`` into the focused field, then leave it with Tab."""
        await self.cdp.call("Input.insertText", text=text)
        for kind in ("keyDown", "keyUp"):  # Tab: a combo box commits a typed value on blur
            await self.cdp.call(
                "Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9
            )


# --- Home Assistant API --------------------------------------------------------------


@dataclass
class Hass:
    """REST and websocket calls with the dev account."""

    session: aiohttp.ClientSession
    base_url: str
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        """The client ID the frontend uses on this origin."""
        return self.base_url + "/"

    async def login(self) -> None:
        """Log in through the auth login flow (what the login page does)."""
        flow = await self.post(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": DEV_USER, "password": DEV_PASSWORD},
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"login with the dev account failed: {result}")
        async with self.session.post(
            self.base_url + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": self.client_id,
            },
        ) as resp:
            resp.raise_for_status()
            self.tokens = await resp.json()

    def _headers(self) -> dict[str, str]:
        token = self.tokens.get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST JSON, return JSON."""
        async with self.session.post(
            self.base_url + path, json=body, headers=self._headers()
        ) as resp:
            if resp.status >= 400:
                raise RuntimeError(f"POST {path}: {resp.status} {(await resp.text())[:300]}")
            return await resp.json(content_type=None)

    async def get(self, path: str) -> Any:
        """GET JSON."""
        async with self.session.get(self.base_url + path, headers=self._headers()) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def delete(self, path: str) -> None:
        """DELETE, ignoring the answer."""
        async with self.session.delete(self.base_url + path, headers=self._headers()):
            pass

    async def ws(self, *messages: Mapping[str, Any]) -> list[Any]:
        """Send websocket commands in order; return their results."""
        url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        results: list[Any] = []
        async with self.session.ws_connect(url, max_msg_size=0) as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.tokens["access_token"]})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise RuntimeError("websocket auth failed")
            for number, message in enumerate(messages, start=1):
                await ws.send_json({"id": number, **message})
                while True:
                    reply = await ws.receive_json()
                    if reply.get("id") == number and reply.get("type") == "result":
                        if not reply.get("success"):
                            raise RuntimeError(f"{message['type']}: {reply.get('error')}")
                        results.append(reply.get("result"))
                        break
        return results


async def check_bad_ports(hass: Hass, en: Mapping[str, Any]) -> dict[str, Any]:
    """Run the add flow with ports that must be refused; report each error."""
    errors_en: Mapping[str, str] = en["config"].get("error", {})
    report: dict[str, Any] = {}
    for label, port in BAD_PORTS:
        started = time.monotonic()
        flow = await hass.post("/api/config/config_entries/flow", {"handler": DOMAIN})
        result = await hass.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "linky"}
        )
        result = await hass.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}", {"device": port, "name": ""}
        )
        item: dict[str, Any] = {
            "input": port,
            "type": result.get("type"),
            "seconds": round(time.monotonic() - started, 1),
        }
        if result.get("type") == "form":
            errors = result.get("errors") or {}
            item["errors"] = {
                field_: {
                    "key": key,
                    "text": render(
                        errors_en.get(key, f"<no text for {key}>"),
                        result.get("description_placeholders"),
                    ),
                }
                for field_, key in errors.items()
            }
            await hass.delete(f"/api/config/config_entries/flow/{flow['flow_id']}")
        elif result.get("type") == "create_entry":
            item["unexpected_entry"] = result.get("title")
            entry_id = (result.get("result") or {}).get("entry_id")
            if entry_id:
                await hass.delete(f"/api/config/config_entries/entry/{entry_id}")
        else:
            item["result"] = result
        report[label] = item
    return report


async def check_options(hass: Hass, en: Mapping[str, Any], entries: Sequence[Any]) -> list[Any]:
    """Open each entry's options flow; return title and description as rendered."""
    step = en.get("options", {}).get("step", {})
    out: list[Any] = []
    for entry in entries:
        flow = await hass.post(
            "/api/config/config_entries/options/flow", {"handler": entry["entry_id"]}
        )
        texts = step.get(flow.get("step_id", ""), {})
        placeholders = flow.get("description_placeholders")
        out.append(
            {
                "entry": entry["title"],
                "title": render(texts.get("title", ""), placeholders),
                "description": render(texts.get("description", ""), placeholders),
            }
        )
        await hass.delete(f"/api/config/config_entries/options/flow/{flow['flow_id']}")
    return out


async def api_checks(hass: Hass, since: float) -> dict[str, Any]:
    """Devices, entity values, logbook rates, README IDs, flow errors."""
    en = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
    entries = await hass.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
    entry_ids = {entry["entry_id"] for entry in entries}
    devices, entities = await hass.ws(
        {"type": "config/device_registry/list"}, {"type": "config/entity_registry/list"}
    )
    ours = [d for d in devices if entry_ids & set(d.get("config_entries", []))]
    name_of = {d["id"]: d.get("name_by_user") or d.get("name") or d["id"] for d in ours}
    our_entities = [e for e in entities if e.get("platform") == DOMAIN]
    device_of_entity = {
        e["entity_id"]: name_of.get(e.get("device_id") or "", "?") for e in our_entities
    }
    states = {s["entity_id"]: s for s in await hass.get("/api/states")}
    now = time.time()
    start_iso = dt.datetime.fromtimestamp(since, dt.UTC).isoformat()
    (logbook,) = await hass.ws({"type": "logbook/get_events", "start_time": start_iso})
    # from "Home Assistant started" (the first entry) if that is later than ``since``
    start = max([since, *(e["when"] for e in logbook[:1] if isinstance(e.get("when"), float))])
    per_device: dict[str, dict[str, Any]] = defaultdict(dict)
    for entity in our_entities:
        entity_id = entity["entity_id"]
        device = device_of_entity[entity_id]
        if entity.get("disabled_by"):
            per_device[device].setdefault("disabled", []).append(entity_id)
            continue
        state = states.get(entity_id, {}).get("state")
        per_device[device].setdefault("states", {})[entity_id] = state
        if state in (None, "unknown", "unavailable", "None", ""):
            per_device[device].setdefault("no_value", []).append(f"{entity_id}={state}")
    (issues,) = await hass.ws({"type": "repairs/list_issues"})
    enabled = sorted(eid for eid in device_of_entity if eid in states)
    history = await hass.get(
        f"/api/history/period/{start_iso}?minimal_response&no_attributes"
        f"&filter_entity_id={','.join(enabled)}"
    )
    return {
        "repair_issues": [
            f"{i.get('domain')}: {i.get('translation_key') or i.get('issue_id')}"
            for i in issues.get("issues", [])
            if not i.get("ignored")
        ],
        "device_names": [name_of[d["id"]] for d in ours],
        "device_names_distinct": len(set(name_of.values())) == len(name_of),
        "devices": {d["id"]: name_of[d["id"]] for d in ours},
        "entities": per_device,
        "padded_states": padded_states(s for eid, s in states.items() if eid in device_of_entity),
        "state_writes": write_rates(history, device_of_entity, start=start, end=now),
        "logbook": logbook_rates(logbook, device_of_entity, start=start, end=now),
        "readme_entity_ids": {
            eid: (states[eid]["state"] if eid in states else "MISSING") for eid in README_ENTITY_IDS
        },
        "add_flow_errors": await check_bad_ports(hass, en),
        "options_dialogs": await check_options(hass, en, entries),
    }


# --- the run -------------------------------------------------------------------------


async def _wait_devtools(session: aiohttp.ClientSession, devtools: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            async with session.get(f"{devtools}/json/version") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"no Chromium DevTools endpoint at {devtools}: start chromium with "
                "--remote-debugging-port, or pass --chromium"
            )
        await asyncio.sleep(0.5)


async def _submit_port(shooter: Shooter, port: str) -> Any:
    """Type ``port`` into the Linky form as a user does, submit, capture the answer."""
    if not await shooter.click("Serial port *", "Serial port"):
        return "no 'Serial port' field in the Linky form"
    await shooter.settle(seconds=5)
    await shooter.shoot("add_flow_port_picker", full=False)
    if not await shooter.click("Enter manually"):
        return "no 'Enter manually' in the port picker"
    await shooter.settle(seconds=5)
    await shooter.type_text(port)
    if not await shooter.click("Submit"):
        return "no Submit button"
    errors = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["config"]["error"].values()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        joined = "\n".join(await shooter.settle(seconds=3))
        if any(text in joined for text in errors):
            break
    return await shooter.shoot(f"add_flow_{slug(port)}", full=False)


async def _screens(shooter: Shooter, devices: Mapping[str, str]) -> dict[str, Any]:
    ui: dict[str, Any] = {}
    print("integration page")
    await shooter.goto(f"/config/integrations/integration/{DOMAIN}", ready_text=("Linky",))
    await shooter.shoot("integration")
    for device_id, name in devices.items():
        print(f"device page: {name}")
        await shooter.goto(f"/config/devices/device/{device_id}", ready_text=(name,))
        await shooter.shoot(f"device_{slug(name)}")
    print("activity page")
    await shooter.goto("/logbook")
    await shooter.shoot("activity", full=False)

    print("add-integration flow")
    await shooter.goto(f"/config/integrations/dashboard/add?domain={DOMAIN}")
    lines = await shooter.settle(ready_text=("Energy Meters",))
    if any(line.startswith("Do you want to set up") for line in lines):
        # what a my.home-assistant.io link shows first; the dashboard's search does not
        await shooter.shoot("add_flow_confirm", full=False)
        await shooter.click("OK")
        await shooter.settle(ready_text=("Add a meter",))
    await shooter.shoot("add_flow_menu", full=False)
    if await shooter.click("Linky (TIC, France)"):
        await shooter.settle(ready_text=("Linky TIC",))
        await shooter.shoot("add_flow_linky_form", full=False)
        ui["add_flow_dev_null"] = await _submit_port(shooter, "/dev/null")
    else:
        ui["add_flow_menu"] = "menu item 'Linky (TIC, France)' not found"

    print("options dialog")
    await shooter.goto(f"/config/integrations/integration/{DOMAIN}", ready_text=("Linky",))
    if await shooter.click("Configure"):
        await shooter.settle(ready_text=("Update policy",))
        await shooter.shoot("options_dialog", full=False)
    else:
        ui["options_dialog"] = "no 'Configure' button found on the integration page"
    print("repairs")
    await shooter.goto("/config/repairs")
    await shooter.shoot("repairs", full=False)
    return ui


@contextlib.asynccontextmanager
async def browser_page(
    session: aiohttp.ClientSession,
    devtools: str,
    hass: Hass,
    out_dir: Path,
    *,
    width: int = 1280,
    height: int = 900,
    timezone: str | None = None,
) -> AsyncIterator[Shooter]:
    """
    Open a Chromium tab logged in as ``hass``'s user; yield it as a :class:`Shooter`.

    The tokens go into ``localStorage.hassTokens`` before any frontend script
    runs, so no login form is filled. ``timezone`` (IANA name) is the browser's
    time zone: the server's makes "today" the same day on both sides. Motion is
    reduced (the frontend then skips its animations). Exceptions the page's
    scripts throw are kept in ``shooter.exceptions``.
    """
    async with session.put(f"{devtools}/json/new?about:blank") as resp:
        resp.raise_for_status()
        target = await resp.json(content_type=None)
    ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
    cdp = Cdp(ws)
    try:
        en = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
        shooter = Shooter(
            cdp, hass.base_url, out_dir, width, height, known_texts=translated_texts(en)
        )
        cdp.listen("Runtime.exceptionThrown", shooter.note_exception)
        await cdp.call("Page.enable")
        await cdp.call("Runtime.enable")
        tokens = hass_tokens(hass.tokens, hass.base_url, hass.client_id, time.time())
        origin = json.dumps(hass.base_url)
        await cdp.call(
            "Page.addScriptToEvaluateOnNewDocument",
            source=(
                f"if (location.origin === {origin}) "
                f"localStorage.setItem('hassTokens', {json.dumps(tokens)});"
            ),
        )
        if timezone:
            await cdp.call("Emulation.setTimezoneOverride", timezoneId=timezone)
        await cdp.call(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-reduced-motion", "value": "reduce"}],
        )
        await shooter.set_viewport(height)
        yield shooter
    finally:
        await cdp.close()
        await ws.close()
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{devtools}/json/close/{target['id']}"):
                pass


async def run(args: argparse.Namespace, *, started_browser: bool) -> dict[str, Any]:
    """Run the API checks, then take the screenshots; return the report."""
    base_url = args.url.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await _wait_devtools(session, args.devtools, 30 if started_browser else 3)
        hass = Hass(session, base_url)
        await hass.login()
        since = time.time() - args.since_minutes * 60
        print("API checks (devices, entities, logbook, add-flow errors)")
        report = await api_checks(hass, since)
        async with browser_page(
            session, args.devtools, hass, args.out, width=args.width, height=args.height
        ) as shooter:
            report["ui"] = await _screens(shooter, report["devices"])
            report["pages"] = shooter.pages
            report["page_exceptions"] = shooter.exceptions
    return report


# Chromium as a headless test browser: as root in a container (no sandbox, no GPU,
# no /dev/shm), and with no traffic to anywhere but this machine: every host name
# but 127.0.0.1 and localhost resolves to nothing, no proxy, and none of
# the browser's own background services (updates, sync, metrics, safe browsing).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=en-US",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--password-store=basic",
)


def start_chromium(
    binary: str, profile: str | Path, *, port: int = 0, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """
    Start a headless Chromium with its DevTools endpoint on ``port``.

    ``port=0``: a free port chosen by Chromium, read with :func:`devtools_port`.
    Its output goes to ``log`` (else nowhere).
    """
    command = [
        binary,
        *CHROMIUM_FLAGS,
        f"--remote-debugging-port={port}",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    if log is None:
        return subprocess.Popen(  # noqa: S603 - the browser the caller named
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - the browser the caller named
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def parse_devtools_active_port(text: str) -> int | None:
    """Return the port in Chromium's ``DevToolsActivePort`` file, once its first line is written."""
    first = text.split("\n", 1)[0].strip()
    return int(first) if first.isdigit() and "\n" in text else None


async def devtools_port(
    profile: Path, browser: subprocess.Popen[bytes], *, seconds: float = 60
) -> int:
    """Wait until Chromium has written the port it listens on into its profile; return it."""
    deadline = time.monotonic() + seconds
    marker = profile / "DevToolsActivePort"
    while True:
        with contextlib.suppress(OSError):
            port = parse_devtools_active_port(marker.read_text(encoding="utf-8"))
            if port:
                return port
        if browser.poll() is not None:
            raise RuntimeError(f"chromium exited with code {browser.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"chromium wrote no DevTools port within {seconds:.0f} s")
        await asyncio.sleep(0.1)


def stop_chromium(browser: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and its helper processes (its own process group)."""
    if browser.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(browser.pid, signal.SIGTERM)
    try:
        browser.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(browser.pid, signal.SIGKILL)
        browser.wait(5)


def summary(report: Mapping[str, Any]) -> list[str]:
    """Human-readable lines for the terminal."""
    lines = [f"devices: {', '.join(report['device_names'])}"]
    if not report["device_names_distinct"]:
        lines.append("  !! device names are not distinct")
    lines.extend(f"repair issue: {issue}" for issue in report["repair_issues"])
    lines.append(
        f"logbook ({report['logbook']['all_entries']} entries in all) over {report['logbook']['minutes']} min:"
    )
    for device, rate in report["logbook"]["devices"].items():
        top = ", ".join(f"{k}: {v}" for k, v in list(rate["by_entity"].items())[:3])
        lines.append(
            f"  {device}: {rate['entries']} entries, {rate['per_minute']}/min"
            f" (busiest minute {rate['busiest_minute']}){'; ' + top if top else ''}"
        )
    for device, rate in report["state_writes"].items():
        lines.append(
            f"  state writes {device}: {rate['per_minute']}/min; busiest per min: {rate['busiest']}"
        )
    for device, info in report["entities"].items():
        lines.append(
            f"  {device}: {len(info.get('states', {}))} enabled entities,"
            f" disabled: {', '.join(info.get('disabled', [])) or '-'}"
        )
        lines.extend(f"  no value ({device}): {item}" for item in info.get("no_value", []))
    for entity_id, state in report["padded_states"].items():
        lines.append(f"  padded text: {entity_id} = {state!r}")
    for entity_id, state in report["readme_entity_ids"].items():
        lines.append(f"README entity {entity_id}: {state}")
    for label, item in report["add_flow_errors"].items():
        lines.append(f"add flow {label} ({item['input']}): {item.get('errors') or item}")
    lines.extend(f"options: {o['entry']}: {o['title']!r}" for o in report["options_dialogs"])
    for stem, page in report.get("pages", {}).items():
        lines.extend(
            f"{stem}: {kind}: {page[kind][:8]}"
            for kind in ("raw_translation_keys", "errors", "none_values", "bare_identifiers")
            if page[kind]
        )
    lines.extend(
        f"ui: {key}: {value}"
        for key, value in report.get("ui", {}).items()
        if isinstance(value, str)
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1] if __doc__ else None)
    parser.add_argument("out", nargs="?", type=Path, default=REPO / "artifacts" / "screenshots")
    parser.add_argument("--url", default="http://127.0.0.1:8123", help="Home Assistant")
    parser.add_argument(
        "--devtools", default="http://127.0.0.1:9222", help="Chromium's DevTools HTTP endpoint"
    )
    parser.add_argument("--chromium", help="start this Chromium binary instead of connecting")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--since-minutes", type=float, default=10, help="logbook period to count (minutes)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if args.chromium:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="em-chromium-"))
            port = int(args.devtools.rstrip("/").rsplit(":", 1)[-1])
            browser = start_chromium(args.chromium, profile, port=port)
            stack.callback(stop_chromium, browser)
        report = asyncio.run(run(args, started_browser=bool(args.chromium)))
    (args.out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print("\n".join(summary(report)))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
