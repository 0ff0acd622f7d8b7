"""
A fake FRITZ!Box: ``login_sid.lua`` (PBKDF2 and MD5), sessions, AHA device list and stats.

    python -m simulators.fritzbox --listen 127.0.0.1:7201 --username dev --password dev-fritz

What it does like a real box (see ``/work/shared/research/fritzbox_aha.md``):

* ``login_sid.lua?version=2`` gives a PBKDF2 challenge (``--md5``: an old box, 8 hex
  characters); the response may come as a form POST or in the query. A wrong one
  answers SID ``0000000000000000`` and a ``BlockTime`` that doubles with every
  further failure; while it runs, even the right password is refused.
* ``login_sid.lua?sid=<sid>`` answers the same SID while it is valid (and refreshes
  it), or a new challenge; ``logout=1`` ends the session.
* SIDs expire after ``session_timeout`` seconds without use (20 min by default).
* ``homeautoswitch.lua`` with a missing, unknown or expired SID answers 403 and ends
  *every* session (the box's rule for a source IP): :attr:`FakeFritzBox.stale_sid_requests`
  counts those requests, so tests can assert it stays at zero. Without the Smart Home
  right, 403 too (not counted). Unknown command or AIN: 400.
* ``reboot()`` ends all sessions; ``offline`` drops connections (a box that is rebooting).
* Devices: plugs whose energy advances with their power on the injected clock,
  thermostats, a device that is not present, and two HAN-FUN devices listed the way real
  boxes list them: the device (bit 0, its real product and firmware, a battery or
  nothing) and its unit ``<AIN>-1`` (bit 13, firmware ``0.0``, ``<etsiunitinfo>`` naming
  the device's id) carrying the values: a door contact (``<alert>``) and a plug that is
  only on/off (bit 15 without 9, ``<simpleonoff>``).
* Controls, with AVM's preconditions (function bits): ``setswitchon``/``setswitchoff``
  switch a socket (bit 9; off: 0 W, no energy) and answer its state;
  ``setsimpleonoff&onoff=0|1|2`` (off, on, toggle) switches an on/off device (bit 15) and
  answers nothing (pyfritzhome ignores the answer; that real boxes also accept
  ``setswitchon`` for a HAN-FUN plug, as python-fritzhome #83's testers report, is not
  modelled); ``sethkrtsoll`` takes 16-56 (0.5 °C steps), 253 (off) or 254 (on), 400
  otherwise; a device that is not present answers ``inval``.
  :attr:`FakeFritzBox.failing_commands` answer HTTP 500.

The clock is injected (:class:`ManualClock` in tests); the CLI uses the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass, field
import secrets
import signal
import time
from typing import TYPE_CHECKING, Final
from xml.sax.saxutils import escape, quoteattr
import zlib

from aiohttp import web

from custom_components.energy_meters.protocol.fritzbox.login import (
    NO_SID,
    md5_response,
    pbkdf2_response,
)

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_TIMEOUT: Final = 20 * 60.0
MAX_BLOCK: Final = 3600
UNIT_TYPES: Final = ((1 << 4, 514, "256"), (1 << 15, 262, "512"))
"""HAN-FUN unit type and interfaces by function: a window/door contact (alert), a socket."""


def xml_id(ain: str) -> int:
    """Return the box's ``id`` of a device: units from 2000, devices below (stable per AIN)."""
    crc = zlib.crc32(ain.encode())
    return 2000 + crc % 1000 if "-" in ain else 16 + crc % 1000


EMPTY_LISTS = {"gettemplatelistinfos": "templatelist", "gettriggerlistinfos": "triggerlist"}
"""Lists the box answers that we never read (pyfritzhome, and so core ``fritzbox``, does)."""


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        """Start at ``start`` epoch seconds (2026-01-01 00:00 UTC by default)."""
        self.now = start

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += seconds


@dataclass
class SimDevice:
    """One smart-home device of the fake box."""

    ain: str
    name: str
    product: str
    functionbitmask: int
    present: bool = True
    power_mw: int = 0
    energy_wh: float = 0.0
    voltage_mv: int = 230_000
    switch_on: bool = True
    celsius_tenths: int | None = 215
    battery: int | None = None
    battery_low: bool = False
    hkr: dict[str, int] = field(default_factory=dict)
    alert: int | None = None
    daily_wh: list[int | None] = field(default_factory=list)
    """``getbasicdevicestats`` energy per day, newest first (None: a ``-`` gap)."""
    monthly_wh: list[int | None] = field(default_factory=list)
    radio_loss: bool = False
    """Present but reporting 0 V / 0 W / 0 Wh (HA #55799)."""
    firmware: str = "04.27"
    manufacturer: str = "AVM"
    lock: bool = False
    """Switching through the box's UI and the API is locked (``<switch><lock>``)."""
    device_lock: bool = False
    """The buttons on the plug are locked (``<switch><devicelock>``)."""

    @property
    def drawn_mw(self) -> int:
        """Power drawn now: nothing while a switchable plug is off."""
        return 0 if self.functionbitmask & (1 << 9) and not self.switch_on else self.power_mw

    def advance(self, seconds: float) -> None:
        """Count the energy drawn in ``seconds``."""
        if self.present and self.functionbitmask & (1 << 7):
            self.energy_wh += self.drawn_mw / 1000 * seconds / 3600

    def to_xml(self) -> str:
        """Return the ``<device>`` element, shaped like a real FRITZ!OS 7.5x answer."""
        bits = self.functionbitmask
        present = self.present
        parts = [
            f'<device identifier={quoteattr(self.ain)} id="{xml_id(self.ain)}"'
            f" functionbitmask={quoteattr(str(bits))} fwversion={quoteattr(self.firmware)}"
            f" manufacturer={quoteattr(self.manufacturer)} productname={quoteattr(self.product)}>",
            f"<present>{int(present)}</present><txbusy>0</txbusy><name>{escape(self.name)}</name>",
        ]
        if self.battery is not None:
            parts.append(
                f"<battery>{self.battery if present else ''}</battery>"
                f"<batterylow>{int(self.battery_low) if present else ''}</batterylow>"
            )

        def val(value: object) -> str:
            return "" if not present or value is None else str(value)

        if bits & (1 << 9):
            parts.append(
                f"<switch><state>{val(int(self.switch_on))}</state><mode>manuell</mode>"
                f"<lock>{val(int(self.lock))}</lock>"
                f"<devicelock>{val(int(self.device_lock))}</devicelock></switch>"
            )
        if bits & (1 << 15):  # plugs repeat their state here; an on/off unit has only this
            parts.append(f"<simpleonoff><state>{val(int(self.switch_on))}</state></simpleonoff>")
        if bits & (1 << 7):
            lost = self.radio_loss
            parts.append(
                f"<powermeter><voltage>{val(0 if lost else self.voltage_mv)}</voltage>"
                f"<power>{val(0 if lost else self.drawn_mw)}</power>"
                f"<energy>{val(0 if lost else int(self.energy_wh))}</energy></powermeter>"
            )
        if bits & (1 << 8):
            parts.append(
                f"<temperature><celsius>{val(self.celsius_tenths)}</celsius>"
                f"<offset>{val(0)}</offset></temperature>"
            )
        if bits & (1 << 4):
            parts.append(f"<alert><state>{val(self.alert)}</state></alert>")
        if bits & (1 << 6):
            hkr = "".join(
                f"<{tag}>{val(self.hkr.get(tag))}</{tag}>"
                for tag in (
                    "tist",
                    "tsoll",
                    "absenk",
                    "komfort",
                    "lock",
                    "devicelock",
                    "errorcode",
                    "windowopenactiv",
                    "boostactive",
                )
            )
            parts.append(f"<hkr>{hkr}</hkr>")
        if bits & (1 << 13):  # a HAN-FUN unit names its device by the device's id
            unit_type, interfaces = next(
                ((kind, ifs) for bit, kind, ifs in UNIT_TYPES if bits & bit), (256, "")
            )
            parts.append(
                f"<etsiunitinfo><etsideviceid>{xml_id(self.ain.rpartition('-')[0])}"
                f"</etsideviceid><unittype>{unit_type}</unittype>"
                f"<interfaces>{interfaces}</interfaces></etsiunitinfo>"
            )
        parts.append("</device>")
        return "".join(parts)

    def stats_xml(self, now: float) -> str:
        """``getbasicdevicestats``: newest first, ``datatime`` = now; sections per function."""
        stamp = int(now)

        def row(values: list[int | None], grid: int) -> str:
            text = ",".join("-" if v is None else str(v) for v in values) or "-"
            return f'<stats count="{len(values)}" grid="{grid}" datatime="{stamp}">{text}</stats>'

        parts = ["<devicestats>"]
        if self.functionbitmask & (1 << 8) and self.celsius_tenths is not None:
            parts.append(f"<temperature>{row([self.celsius_tenths] * 96, 900)}</temperature>")
        if self.functionbitmask & (1 << 7):
            parts.append(
                f"<voltage>{row([self.voltage_mv] * 360, 10)}</voltage>"
                f"<power>{row([self.power_mw // 10] * 360, 10)}</power>"
                f"<energy>{row(self.monthly_wh, 2678400)}{row(self.daily_wh, 86400)}</energy>"
            )
        parts.append("</devicestats>")
        return "".join(parts)


def demo_devices() -> list[SimDevice]:
    """Return two plugs, a thermostat, a HAN-FUN door contact and plug, a plug out of reach."""
    return [
        SimDevice(
            "11657 0067315",
            "Washing machine",
            "FRITZ!DECT 210",
            35712,
            power_mw=512_340,
            energy_wh=1_239_092,
            voltage_mv=227_292,
            celsius_tenths=250,
            daily_wh=[812, 1403, 990, 0, 2210, 1500, 1320],
            monthly_wh=[18_500, 31_020, 29_870],
        ),
        SimDevice(
            "08761 0000434",
            "Fridge",
            "FRITZ!DECT 200",
            35712,
            power_mw=85_000,
            energy_wh=402_118,
            daily_wh=[1100, 1180, 1150],
            monthly_wh=[25_000],
        ),
        SimDevice(
            "09995 0123456",
            "Living room",
            "FRITZ!DECT 301",
            320,
            celsius_tenths=205,
            battery=80,
            hkr={
                "tist": 41,
                "tsoll": 42,
                "absenk": 34,
                "komfort": 42,
                "windowopenactiv": 0,
                "boostactive": 0,
                "lock": 0,
                "devicelock": 0,
                "errorcode": 0,
            },
        ),
        # a HAN-FUN contact: the device carries the battery, its unit the contact
        SimDevice(
            "11934 0654321",
            "Terrace door",
            "FRITZ!DECT 350",
            1,
            celsius_tenths=None,
            battery=90,
            firmware="03.58",
        ),
        SimDevice(
            "11934 0654321-1",
            "Terrace door",
            "FRITZ!DECT 350",
            8208,
            celsius_tenths=None,
            alert=0,
            firmware="0.0",
        ),
        # a HAN-FUN plug of another maker: the device carries nothing, its unit is on/off
        SimDevice(
            "11324 0716524",
            "Garden socket",
            "HAN-FUN",
            1,
            celsius_tenths=None,
            firmware="30.17.04.02.018",
            manufacturer="0x2c3c",
        ),
        SimDevice(
            "11324 0716524-1",
            "Garden socket",
            "HAN-FUN",
            40960,
            celsius_tenths=None,
            switch_on=False,
            firmware="0.0",
            manufacturer="0x2c3c",
        ),
        SimDevice("11657 0999999", "Garage", "FRITZ!DECT 200", 35712, present=False),
    ]


class FakeFritzBox:
    """The box's state and its aiohttp application."""

    def __init__(
        self,
        *,
        username: str = "fritz1234",
        password: str = "secret",
        devices: list[SimDevice] | None = None,
        clock: Callable[[], float] = time.time,
        md5_only: bool = False,
        session_timeout: float = DEFAULT_TIMEOUT,
        smart_home_right: bool = True,
        serial: str | None = "989BCB0A1B2C",
        pbkdf2_iterations: tuple[int, int] = (10_000, 1_000),
    ) -> None:
        """Describe the box; :meth:`app` serves it."""
        self.username = username
        self.password = password
        self.devices = {d.ain: d for d in (devices if devices is not None else demo_devices())}
        self.clock = clock
        self.md5_only = md5_only
        self.session_timeout = session_timeout
        self.smart_home_right = smart_home_right
        self.serial = serial
        self.iterations = pbkdf2_iterations
        self.offline = False
        self.list_rights = True
        """Old firmware lists no rights in ``SessionInfo``."""
        self.sessions: dict[str, float] = {}
        self.challenges: list[str] = []
        self.failures = 0
        self.blocked_until = 0.0
        self.stale_sid_requests = 0
        self.logins = 0
        self.commands: list[str] = []
        self.answer_garbage = 0
        """Answer the next N device-list requests with an empty body."""
        self.stats_command = True
        """False: firmware without ``getbasicdevicestats`` (answers 400, unknown command)."""
        self.stats_requests: list[str] = []
        """The AIN of each ``getbasicdevicestats`` request."""
        self.failing_commands: set[str] = set()
        """Commands answered with HTTP 500 (an internal error of the box)."""
        self._ticked = clock()

    # --- faults --------------------------------------------------------------------
    def reboot(self) -> None:
        """All sessions are gone."""
        self.sessions.clear()
        self.challenges.clear()

    def change_password(self, password: str) -> None:
        """Change the password on the box (sessions stay, like on the real box)."""
        self.password = password

    # --- model ---------------------------------------------------------------------
    def tick(self) -> None:
        """Advance every device to the clock's time."""
        now = self.clock()
        for device in self.devices.values():
            device.advance(max(now - self._ticked, 0.0))
        self._ticked = now

    def _valid(self, sid: str | None) -> bool:
        if not sid or sid not in self.sessions:
            return False
        if self.clock() - self.sessions[sid] > self.session_timeout:
            del self.sessions[sid]
            return False
        self.sessions[sid] = self.clock()
        return True

    def _block_time(self) -> int:
        return max(int(self.blocked_until - self.clock() + 0.999), 0)

    def _challenge(self) -> str:
        if self.md5_only:
            challenge = secrets.token_hex(4)
        else:
            challenge = (
                f"2${self.iterations[0]}${secrets.token_hex(16)}"
                f"${self.iterations[1]}${secrets.token_hex(16)}"
            )
        self.challenges = [*self.challenges[-4:], challenge]
        return challenge

    def _session_xml(self, sid: str) -> str:
        rights = ""
        if sid != NO_SID and not self.list_rights:
            challenge = ""
        elif sid != NO_SID:
            rights = "<Name>Dial</Name><Access>2</Access><Name>App</Name><Access>2</Access>"
            if self.smart_home_right:
                rights += "<Name>HomeAuto</Name><Access>2</Access>"
            challenge = ""
        else:
            challenge = self._challenge()
        return (
            '<?xml version="1.0" encoding="utf-8"?><SessionInfo>'
            f"<SID>{sid}</SID><Challenge>{challenge}</Challenge>"
            f"<BlockTime>{self._block_time()}</BlockTime><Rights>{rights}</Rights>"
            f'<Users><User last="1">{escape(self.username)}</User></Users></SessionInfo>'
        )

    def _check_response(self, response: str) -> bool:
        for challenge in self.challenges:
            expected = (
                pbkdf2_response(challenge, self.password)
                if challenge.startswith("2$")
                else md5_response(challenge, self.password)
            )
            if secrets.compare_digest(expected, response):
                self.challenges.remove(challenge)
                return True
        return False

    # --- HTTP ----------------------------------------------------------------------
    def _drop_if_offline(self, request: web.Request) -> None:
        if self.offline:
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable

    async def login_sid(self, request: web.Request) -> web.Response:
        """``/login_sid.lua``."""
        self._drop_if_offline(request)
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        sid = params.get("sid")
        # ``logout`` (AVM's current form) or ``security:command/logout`` (older, pyfritzhome)
        if (params.get("logout") or params.get("security:command/logout")) and sid:
            self.sessions.pop(sid, None)
            return self._xml(self._session_xml(NO_SID))
        if "response" in params:
            if (
                self._block_time() == 0
                and params.get("username", "") == self.username
                and self._check_response(params["response"])
            ):
                self.failures = 0
                new_sid = secrets.token_hex(8)
                self.sessions[new_sid] = self.clock()
                self.logins += 1
                return self._xml(self._session_xml(new_sid))
            self.failures += 1
            self.blocked_until = self.clock() + min(2 ** (self.failures - 1), MAX_BLOCK)
            return self._xml(self._session_xml(NO_SID))
        if sid and self._valid(sid):
            return self._xml(self._session_xml(sid))
        return self._xml(self._session_xml(NO_SID))

    async def homeautoswitch(self, request: web.Request) -> web.Response:
        """``/webservices/homeautoswitch.lua``."""
        self._drop_if_offline(request)
        sid = request.query.get("sid")
        if not self._valid(sid):
            self.stale_sid_requests += 1
            self.sessions.clear()  # "all sessions of this IP address are ended"
            return web.Response(status=403)
        if not self.smart_home_right:
            return web.Response(status=403)
        command = request.query.get("switchcmd", "")
        self.commands.append(command)
        self.tick()
        if command in self.failing_commands:
            return web.Response(status=500)
        if command == "getdevicelistinfos":
            if self.answer_garbage > 0:
                self.answer_garbage -= 1
                return web.Response(text="", content_type="text/xml")
            body = "".join(d.to_xml() for d in self.devices.values())
            return self._xml(f'<devicelist version="1" fwversion="7.57">{body}</devicelist>')
        if command in EMPTY_LISTS:  # FRITZ!OS 7.x: no templates or triggers defined
            tag = EMPTY_LISTS[command]
            return self._xml(f'<{tag} version="1"></{tag}>')
        device = self.devices.get(request.query.get("ain", "").replace("+", " "))
        if device is None:
            return web.Response(status=400)
        if command == "getbasicdevicestats":
            self.stats_requests.append(device.ain)
        if command == "getbasicdevicestats" and self.stats_command:
            return self._xml(device.stats_xml(self.clock()))
        if command in ("getswitchenergy", "getswitchpower"):
            if not device.present:
                return web.Response(text="inval\n")
            value = int(device.energy_wh) if command == "getswitchenergy" else device.power_mw
            return web.Response(text=f"{value}\n")
        if command in ("setswitchon", "setswitchoff") and device.functionbitmask & (1 << 9):
            if not device.present:
                return web.Response(text="inval\n")
            device.switch_on = command == "setswitchon"
            return web.Response(text=f"{int(device.switch_on)}\n")
        if command == "setsimpleonoff" and device.functionbitmask & (1 << 15):
            onoff = request.query.get("onoff", "")
            if onoff not in ("0", "1", "2"):
                return web.Response(status=400)
            if not device.present:
                return web.Response(text="inval\n")
            device.switch_on = not device.switch_on if onoff == "2" else onoff == "1"
            return web.Response(text="")
        if command == "sethkrtsoll" and device.functionbitmask & (1 << 6):
            param = request.query.get("param", "")
            if not param.isdigit() or not (16 <= int(param) <= 56 or int(param) in (253, 254)):
                return web.Response(status=400)
            if not device.present:
                return web.Response(text="inval\n")
            device.hkr["tsoll"] = int(param)
            return web.Response(text="")
        return web.Response(status=400)

    async def boxinfo(self, request: web.Request) -> web.Response:
        """``/jason_boxinfo.xml`` (no login needed)."""
        self._drop_if_offline(request)
        if self.serial is None:
            return web.Response(status=404)
        return self._xml(
            '<j:BoxInfo xmlns:j="http://jason.avm.de/updatecheck/">'
            "<j:Name>FRITZ!Box 7590</j:Name><j:HW>226</j:HW><j:Version>154.07.57</j:Version>"
            f"<j:Serial>{self.serial}</j:Serial><j:OEM>avm</j:OEM></j:BoxInfo>"
        )

    @staticmethod
    def _xml(text: str) -> web.Response:
        return web.Response(text=text, content_type="text/xml")

    def app(self) -> web.Application:
        """Return the aiohttp application serving the box."""
        app = web.Application()
        app.router.add_route("GET", "/login_sid.lua", self.login_sid)
        app.router.add_route("POST", "/login_sid.lua", self.login_sid)
        app.router.add_get("/webservices/homeautoswitch.lua", self.homeautoswitch)
        app.router.add_get("/jason_boxinfo.xml", self.boxinfo)
        return app


class FakeFritzBoxServer:
    """The fake box on a TCP port (``port=0``: any free one)."""

    def __init__(self, box: FakeFritzBox, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare the server."""
        self.box = box
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL of the box."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeFritzBoxServer:
        """Start listening."""
        self._runner = web.AppRunner(self.box.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # noqa: SLF001 - the bound port of port=0
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Run the fake box until ``stop`` (or SIGINT/SIGTERM)."""
    host, _, port = args.listen.rpartition(":")
    box = FakeFritzBox(username=args.username, password=args.password, md5_only=args.md5)
    server = await FakeFritzBoxServer(box, host or "127.0.0.1", int(port)).start()
    print(f"fake FRITZ!Box: listening on {server.url}", flush=True)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, box.reboot)
    try:
        await stop.wait()
    finally:
        await server.close()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
            loop.remove_signal_handler(sig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators.fritzbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--listen", default="127.0.0.1:7201", metavar="HOST:PORT")
    parser.add_argument("--username", default="fritz1234")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--md5", action="store_true", help="an old box: MD5 login only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (SIGUSR1 reboots the box)."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
