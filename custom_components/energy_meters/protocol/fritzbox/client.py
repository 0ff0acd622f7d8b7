"""
Async AHA client on an injected aiohttp session: one session (SID) per box, never stale.

The box ends *every* session of a source IP (the user's browser included) when it
sees an invalid SID on ``homeautoswitch.lua``. So a SID is only sent while it is
known to be valid:

* a SID idle for more than :data:`CHECK_AFTER` seconds (shorter than a box reboot)
  is first checked on ``login_sid.lua?sid=``, which answers the same SID while it
  is valid, or a fresh challenge (used at once to log in again);
* a connection error forgets the SID (the box may be rebooting: all sessions gone);
* a 403 anyway (another client on this IP ended the sessions, rights removed)
  forgets the SID and logs in once more; a 403 right after a fresh login means the
  account lacks the Smart Home right (:class:`AhaRightsError`).

``BlockTime`` is never slept on: :class:`AhaBlockedError` carries it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
import time
from typing import Final

import aiohttp
from yarl import URL

from .devices import (
    HKR_OFF,
    HKR_ON,
    AhaDevice,
    DeviceStats,
    encode_hkr_temperature,
    parse_device_list,
    parse_device_stats,
)
from .login import NO_SID, SessionInfo, challenge_response, parse_session_info
from .xml import AhaParseError, parse_xml

LOGIN_PATH: Final = "/login_sid.lua"
AHA_PATH: Final = "/webservices/homeautoswitch.lua"
BOXINFO_PATH: Final = "/jason_boxinfo.xml"
CHECK_AFTER: Final = 60.0
"""Seconds of idleness after which the SID is checked before use (a reboot takes longer)."""
TIMEOUT: Final = 15.0
SMART_HOME_RIGHT: Final = "HomeAuto"


class AhaError(Exception):
    """Base of the client's errors."""


class AhaConnectionError(AhaError):
    """The box cannot be reached (or dropped the connection)."""


class AhaNotFritzBoxError(AhaError):
    """The host answers, but not like a FRITZ!Box."""


class AhaAuthError(AhaError):
    """Wrong username or password; ``block_time`` is the box's wait before the next try."""

    def __init__(self, block_time: int) -> None:
        """Keep the block time."""
        super().__init__(f"login refused (next try in {block_time} s)")
        self.block_time = block_time


class AhaBlockedError(AhaAuthError):
    """The box refuses logins for ``block_time`` seconds after failed ones."""


class AhaRightsError(AhaError):
    """The account has no Smart Home right."""


class AhaResponseError(AhaError):
    """An unexpected status or an unreadable answer (even after a fresh login)."""


def normalize_url(host: str) -> URL:
    """``fritz.box`` -> ``http://fritz.box``; an explicit ``https://`` stays."""
    host = host.strip().rstrip("/")
    url = URL(host if "://" in host else f"http://{host}")
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"not a FRITZ!Box address: {host!r}")
    return url.with_path("").with_query(None).with_fragment(None)


class AhaClient:
    """One box: login, the session, and the AHA commands."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        username: str,
        password: str,
        *,
        verify_ssl: bool = True,
        clock: Callable[[], float] = time.monotonic,
        check_after: float = CHECK_AFTER,
        timeout: float = TIMEOUT,
    ) -> None:
        """Bind the client to a box; nothing is sent yet."""
        self._http = session
        self.url = normalize_url(host)
        self._username = username
        self._password = password
        self._ssl = verify_ssl
        self.clock = clock
        self._check_after = check_after
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sid: str | None = None
        self._used = 0.0
        self._lock = asyncio.Lock()
        self.logins = 0
        self.relogins = 0
        self.checks = 0

    @property
    def logged_in(self) -> bool:
        """Whether the client holds a session."""
        return self._sid is not None

    # --- transport ---------------------------------------------------------------
    async def _get(
        self, path: str, params: Mapping[str, str], *, post: bool = False
    ) -> tuple[int, str]:
        try:
            async with self._http.request(
                "POST" if post else "GET",
                self.url.with_path(path),
                params=None if post else params,
                data=params if post else None,
                ssl=self._ssl,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                return response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError, OSError, UnicodeDecodeError) as err:
            self._sid = None  # a reboot ends every session: never send this one again
            raise AhaConnectionError(f"{type(err).__name__}: {err}") from err

    async def _session_info(self, params: Mapping[str, str], *, post: bool = False) -> SessionInfo:
        status, text = await self._get(LOGIN_PATH, {"version": "2", **params}, post=post)
        if status != 200:
            raise AhaNotFritzBoxError(f"{LOGIN_PATH} answered HTTP {status}")
        try:
            return parse_session_info(text)
        except AhaParseError as err:
            raise AhaNotFritzBoxError(str(err)) from err

    # --- session -----------------------------------------------------------------
    async def _login(self, info: SessionInfo) -> str:
        """Answer the challenge in ``info``; keep the SID."""
        if info.block_time > 0:
            raise AhaBlockedError(info.block_time)
        response = challenge_response(info.challenge, self._password)
        result = await self._session_info(
            {"username": self._username, "response": response}, post=True
        )
        if not result.valid:
            raise AhaAuthError(result.block_time)
        self.logins += 1
        if result.rights and result.rights.get(SMART_HOME_RIGHT, 0) == 0:
            await self._logout_sid(result.sid)
            raise AhaRightsError("the account has no Smart Home right")
        self._sid = result.sid
        self._used = self.clock()
        return result.sid

    async def _ensure_sid(self) -> tuple[str, bool]:
        """Return a SID known to be valid, and whether it was just obtained."""
        if self._sid is not None and self.clock() - self._used <= self._check_after:
            return self._sid, False
        if self._sid is not None:
            self.checks += 1
            info = await self._session_info({"sid": self._sid})
            if info.valid and info.sid == self._sid:
                self._used = self.clock()
                return self._sid, False
            self._sid = None
            self.relogins += 1
        else:
            info = await self._session_info({})
        return await self._login(info), True

    async def login(self) -> None:
        """Log in (or confirm the current session)."""
        async with self._lock:
            await self._ensure_sid()

    async def _logout_sid(self, sid: str) -> None:
        with contextlib.suppress(AhaConnectionError):
            await self._get(LOGIN_PATH, {"version": "2", "logout": "1", "sid": sid})

    async def logout(self) -> None:
        """End the session (unload); errors are ignored."""
        async with self._lock:
            sid, self._sid = self._sid, None
            if sid is not None:
                await self._logout_sid(sid)

    # --- commands ----------------------------------------------------------------
    async def command(
        self, switchcmd: str, ain: str | None = None, extra: Mapping[str, str] | None = None
    ) -> str:
        """Run one ``homeautoswitch.lua`` command; log in again once if the box asks."""
        async with self._lock:
            for attempt in range(2):
                sid, fresh = await self._ensure_sid()
                params = {"switchcmd": switchcmd, "sid": sid, **(extra or {})}
                if ain is not None:
                    params["ain"] = ain
                status, text = await self._get(AHA_PATH, params)
                if status == 403:
                    self._sid = None
                    if fresh or attempt:
                        raise AhaRightsError("HTTP 403 right after a login: no Smart Home right")
                    self.relogins += 1
                    continue
                if status != 200:
                    raise AhaResponseError(f"{switchcmd}: HTTP {status}")
                self._used = self.clock()
                return text
        raise AssertionError("unreachable")  # pragma: no cover

    async def _parsed[T](self, switchcmd: str, parse: Callable[[str], T], ain: str | None) -> T:
        """Run a command whose answer is XML; an unreadable answer gets one fresh try."""
        text = await self.command(switchcmd, ain)
        try:
            return parse(text)
        except AhaParseError:
            async with self._lock:
                sid, self._sid = self._sid, None
                if sid is not None:
                    await self._logout_sid(sid)
                self.relogins += 1
        text = await self.command(switchcmd, ain)
        try:
            return parse(text)
        except AhaParseError as err:
            raise AhaResponseError(f"{switchcmd}: {err}") from err

    async def device_list(self) -> dict[str, AhaDevice]:
        """``getdevicelistinfos``: every device by key."""
        return await self._parsed("getdevicelistinfos", parse_device_list, None)

    async def device_stats(self, ain: str) -> DeviceStats:
        """``getbasicdevicestats`` of one device."""
        return await self._parsed("getbasicdevicestats", parse_device_stats, ain)

    async def set_switch(self, ain: str, on: bool) -> bool:
        """``setswitchon``/``setswitchoff``: return the state the box answers."""
        switchcmd = "setswitchon" if on else "setswitchoff"
        answer = (await self.command(switchcmd, ain)).strip()
        if answer not in ("0", "1"):  # "inval": the device is not present
            raise AhaResponseError(f"{switchcmd}: {answer or 'empty answer'}")
        return answer == "1"

    async def set_simple_on_off(self, ain: str, on: bool) -> None:
        """``setsimpleonoff`` (``onoff`` 1 or 0): a HAN-FUN on/off unit (bit 15 without 9)."""
        answer = (await self.command("setsimpleonoff", ain, {"onoff": "1" if on else "0"})).strip()
        if answer == "inval":  # the unit is not present
            raise AhaResponseError("setsimpleonoff: inval")

    async def set_target_temperature(self, ain: str, celsius: float) -> None:
        """``sethkrtsoll``: a target of 8-28 °C (0.5 °C steps); ValueError outside."""
        await self._set_hkr(ain, encode_hkr_temperature(celsius))

    async def set_thermostat_off(self, ain: str) -> None:
        """``sethkrtsoll`` 253: off (frost protection only)."""
        await self._set_hkr(ain, HKR_OFF)

    async def set_thermostat_on(self, ain: str) -> None:
        """``sethkrtsoll`` 254: on (valve fully open)."""
        await self._set_hkr(ain, HKR_ON)

    async def _set_hkr(self, ain: str, param: int) -> None:
        answer = (await self.command("sethkrtsoll", ain, {"param": str(param)})).strip()
        if answer == "inval":
            raise AhaResponseError("sethkrtsoll: inval")

    async def box_serial(self) -> str | None:
        """Return the box's serial (its MAC) from ``jason_boxinfo.xml``, if the box serves it."""
        try:
            status, text = await self._get(BOXINFO_PATH, {})
        except AhaConnectionError:
            return None
        if status != 200:
            return None
        try:
            root = parse_xml(text)
        except AhaParseError:
            return None
        for node in root.iter():
            if node.tag.rsplit("}", 1)[-1] == "Serial" and (node.text or "").strip():
                return (node.text or "").strip().upper().replace(":", "")
        return None

    def diagnostics(self) -> dict[str, object]:
        """Session counters (never the SID)."""
        return {
            "url_scheme": self.url.scheme,
            "logged_in": self._sid is not None and self._sid != NO_SID,
            "logins": self.logins,
            "relogins": self.relogins,
            "checks": self.checks,
        }
