"""
Linky meter model for the TIC simulator: profiles, meter state and frame bytes.

Everything here is pure and deterministic given a clock value and a seed: no I/O, no
wall clock. What the home draws is a :data:`LoadProfile`, a function of the *simulated*
time only: :class:`DailyCurve` (the default: a realistic day with morning and evening
peaks) or :class:`ConstantLoad` (what tests use, so counters advance at a known rate
whatever the time of day). :mod:`simulators.tic` adds the clock, pacing, faults on the
wire and transports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
import random
from typing import Final

from custom_components.energy_meters.protocol.tic.encoder import encode_frame, encode_group
from custom_components.energy_meters.protocol.tic.framing import TicMode
from custom_components.energy_meters.protocol.tic.horodate import PARIS, format_horodate

PRM: Final = "01234567890123"
POWER_FACTOR: Final = 0.92
MSG1: Final = "PAS DE          MESSAGE         "
PJOURF_BASE: Final = "0000C001" + " NONUTILE" * 10
PJOURF_TEMPO: Final = "00004001 06004002 22004001" + " NONUTILE" * 8
STGE_BASE: Final = 0x003A0000  # standard mode, Euridis on with security, CPL New/Lock
TEMPO_NAMES: Final = (("BLEU", "BLEU"), ("BLAN", "BLANC"), ("ROUG", "ROUGE"))  # historic, std
SHORT_FRAMES_PER_LONG: Final = 20
OVERRUN_HOLD: Final = timedelta(minutes=1)
_TAU: Final = 2 * math.pi

TariffRegisters = tuple[tuple[str, str], ...]  # (historic label, supplier register key)
TARIFFS: Final[dict[str, TariffRegisters]] = {
    "base": (("BASE", "BASE"),),
    "hc": (("HCHC", "HC"), ("HCHP", "HP")),
    "tempo": tuple((f"BBR{k}", k) for k in ("HCJB", "HPJB", "HCJW", "HPJW", "HCJR", "HPJR")),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """What kind of meter to emulate."""

    name: str
    mode: TicMode
    serial: str
    phases: int = 1
    tariff: str = "base"  # key of TARIFFS
    producer: bool = False
    kva: int = 6  # subscribed apparent power (PREF)


PROFILES: Final[dict[str, Profile]] = {
    p.name: p
    for p in (
        Profile("historic-mono-base", TicMode.HISTORIC, "021861348497"),
        Profile("historic-mono-tempo", TicMode.HISTORIC, "021861348503", tariff="tempo", kva=9),
        Profile("historic-tri", TicMode.HISTORIC, "021863348511", phases=3, tariff="hc", kva=12),
        Profile("standard-mono", TicMode.STANDARD, "041875097317"),
        Profile("standard-tri", TicMode.STANDARD, "041876097328", phases=3, kva=12),
        Profile("standard-producer", TicMode.STANDARD, "041875097339", producer=True, kva=9),
        Profile(
            "standard-tri-producer", TicMode.STANDARD, "041876097346", 3, producer=True, kva=12
        ),
        Profile("standard-tempo", TicMode.STANDARD, "041875097351", tariff="tempo", kva=9),
    )
}

Group = tuple[str, str, str | None]  # label, data, horodate

type LoadProfile = Callable[[datetime], float]
"""Power (VA drawn, or W produced) at a simulated, timezone-aware instant; must be pure."""

MIN_VA: Final = 200.0  # standby floor of the daily curve
MAX_VA: Final = 3000.0


def _hour(when: datetime) -> float:
    local = when.astimezone(PARIS)
    return local.hour + local.minute / 60 + local.second / 3600


def _bump(hour: float, centre: float, width: float) -> float:
    """Gaussian bump around ``centre`` (hours), wrapping around midnight."""
    d = (hour - centre + 12) % 24 - 12
    return math.exp(-((d / width) ** 2))


@dataclass(frozen=True, slots=True)
class ConstantLoad:
    """The same draw at every instant (tests: counters advance at ``va`` x 0.92 Wh/h)."""

    va: float

    def __post_init__(self) -> None:
        """Reject a negative draw."""
        if self.va < 0 or not math.isfinite(self.va):
            raise ValueError(f"load must be a finite VA >= 0, not {self.va}")

    def __call__(self, when: datetime) -> float:
        """``va``, whatever ``when``."""
        return self.va


@dataclass(frozen=True, slots=True)
class DailyCurve:
    """
    A household's draw as a pure function of the simulated instant.

    A daily shape on Paris local time (low at night, morning, lunch and evening peaks)
    plus smooth fluctuations of 130 s to 1.5 h, clamped to ``MIN_VA``-``MAX_VA``.
    ``phases`` (radians) decorrelate meters; the same phases and instant give the same VA.
    """

    phases: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def mean_va(self, when: datetime) -> float:
        """Return the daily shape alone (no fluctuations) at ``when``."""
        hour = _hour(when)
        return (
            700
            + 600 * _bump(hour, 7.5, 1.2)
            + 350 * _bump(hour, 12.5, 1.5)
            + 1200 * _bump(hour, 19.5, 1.8)
            - 250 * _bump(hour, 3.5, 2.5)
        )

    def __call__(self, when: datetime) -> float:
        """Drawn apparent power (VA) at ``when``."""
        t, a = when.timestamp(), self.phases
        p = (
            self.mean_va(when)
            + 350 * math.sin(_TAU * t / 5400 + a[0])
            + 400 * math.sin(_TAU * t / 780 + a[1])
            + 250 * math.sin(_TAU * t / 130 + a[2])
        )
        return min(MAX_VA, max(MIN_VA, p))


@dataclass(frozen=True, slots=True)
class SolarCurve:
    """Solar production (W) as a pure function of the simulated instant, zero at night."""

    peak_w: float = 3200.0
    phase: float = 0.0  # of the passing clouds

    def __call__(self, when: datetime) -> float:
        """Return the power (W) produced at ``when``: a 07:00-20:00 arch with clouds."""
        hour = _hour(when)
        if not 7 < hour < 20:
            return 0.0
        cloud = 0.85 + 0.15 * math.sin(_TAU * when.timestamp() / 900 + self.phase)
        return self.peak_w * math.sin(math.pi * (hour - 7) / 13) * cloud


@dataclass(slots=True)
class _DailyMax:
    today: tuple[int, datetime]
    yesterday: tuple[int, datetime]

    def update(self, value: int, now: datetime) -> None:
        if now.date() != self.today[1].date():
            self.yesterday, self.today = self.today, (value, now)
        elif value > self.today[0]:
            self.today = (value, now)


@dataclass(slots=True)
class MeterModel:
    """
    State of one emulated meter; ``advance(now)`` integrates energy up to ``now``.

    ``load`` is what the home draws (default: a seeded :class:`DailyCurve`),
    ``production`` what producer profiles inject (default: a seeded :class:`SolarCurve`).
    Both are evaluated at the instants passed in, never at the wall clock.
    """

    profile: Profile
    seed: int = 0
    start: datetime | None = None
    load: LoadProfile | None = None
    production: LoadProfile | None = None
    registers: dict[str, float] = field(default_factory=dict)
    injected_wh: float = 0.0
    reactive_varh: list[float] = field(default_factory=list)
    overrun_until: datetime | None = None
    degraded_clock: bool = False
    _last: datetime | None = None
    _phases: list[float] = field(default_factory=list)
    _maxima: dict[str, _DailyMax] = field(default_factory=dict)
    _cycle: int = 0

    def __post_init__(self) -> None:
        """Seed the indexes and curve phases."""
        rng = random.Random(f"{self.profile.name}:{self.seed}")
        self._phases = [rng.uniform(0, _TAU) for _ in range(12)]
        for _, key in TARIFFS[self.profile.tariff]:
            self.registers[key] = float(rng.randrange(1_000_000, 25_000_000))
        self.injected_wh = float(rng.randrange(100_000, 3_000_000)) if self.profile.producer else 0
        self.reactive_varh = [float(rng.randrange(10_000, 3_000_000)) for _ in range(4)]
        if self.start is not None:
            self._last = self.start.astimezone(PARIS)
        if self.load is None:
            self.load = DailyCurve((self._phases[0], self._phases[1], self._phases[2]))
        if self.production is None:
            self.production = SolarCurve(phase=self._phases[3])

    # -- physics ----------------------------------------------------------------
    def consumption_va(self, when: datetime) -> float:
        """Drawn apparent power at ``when``, from the load profile."""
        assert self.load is not None  # set in __post_init__
        return max(0.0, self.load(when))

    def production_w(self, when: datetime) -> float:
        """Solar production (producer profiles only), from the production profile."""
        if not self.profile.producer or self.production is None:
            return 0.0
        return max(0.0, self.production(when))

    def net_va(self, when: datetime) -> float:
        """Drawn (>0) or injected (<0) apparent power."""
        return self.consumption_va(when) - self.production_w(when)

    def voltage(self, t: float, phase: int) -> int:
        """RMS voltage of ``phase`` (1-3)."""
        a = self._phases[4 + phase]
        return round(230 + 6 * math.sin(_TAU * t / 1800 + a) + 1.5 * math.sin(_TAU * t / 61 + a))

    def phase_weights(self, t: float) -> tuple[float, float, float]:
        """Share of the load on each phase (three-phase profiles)."""
        w1 = 0.45 + 0.1 * math.sin(_TAU * t / 1300 + self._phases[8])
        return (w1, (1 - w1) * 0.6, (1 - w1) * 0.4)

    def overrun(self, now: datetime) -> bool:
        """Whether a current overrun (or its one-minute tail) is in progress."""
        if self.overrun_until is not None and now < self.overrun_until + OVERRUN_HOLD:
            return True
        # three-phase historic meters: a heavy load on phase 1 every 10 minutes for 15 s
        return (
            self.profile.phases == 3
            and self.profile.mode is TicMode.HISTORIC
            and now.timestamp() % 600 < 15 + OVERRUN_HOLD.total_seconds()
        )

    def tempo_colour(self, day: datetime) -> int:
        """Tempo colour (0 blue, 1 white, 2 red) of the Tempo day containing ``day``."""
        date = (day.astimezone(PARIS) - timedelta(hours=6)).date()
        r = random.Random(f"tempo:{self.seed}:{date.toordinal()}").random()
        winter = date.month in (11, 12, 1, 2, 3) and date.weekday() < 5
        if winter and r < 0.15:
            return 2
        return 1 if r < (0.35 if winter else 0.1) and date.weekday() != 6 else 0

    def register_index(self, when: datetime) -> int:
        """Index (0-based) of the supplier register advancing at ``when``."""
        hour = when.astimezone(PARIS).hour
        off_peak = hour >= 22 or hour < 6
        if self.profile.tariff == "hc":
            return 0 if off_peak else 1
        if self.profile.tariff == "tempo":
            return 2 * self.tempo_colour(when) + (0 if off_peak else 1)
        return 0

    def advance(self, now: datetime) -> None:
        """Integrate energy from the last call up to ``now`` (never backwards)."""
        now = now.astimezone(PARIS)
        last = self._last if self._last is not None else now
        dt = min((now - last).total_seconds(), 86_400.0)
        if dt <= 0:
            self._last = max(last, now)
            return
        keys = [key for _, key in TARIFFS[self.profile.tariff]]
        steps = max(1, math.ceil(dt / 10))
        for i in range(steps):
            when = last + timedelta(seconds=dt * (i + 0.5) / steps)
            net, hours = self.net_va(when), dt / steps / 3600
            if net >= 0:
                self.registers[keys[self.register_index(when)]] += net * POWER_FACTOR * hours
                self.reactive_varh[0] += net * 0.39 * hours
            else:
                self.injected_wh -= net * hours
                self.reactive_varh[3] -= net * 0.05 * hours
        self._last = now

    # -- frames -----------------------------------------------------------------
    def _track(self, key: str, value: int, now: datetime) -> _DailyMax:
        if key not in self._maxima:
            peak = now.replace(hour=19, minute=12, second=31) - timedelta(days=1)
            self._maxima[key] = _DailyMax((value, now), (max(value, 2480), peak))
        daily = self._maxima[key]
        daily.update(value, now)
        return daily

    def groups(self, now: datetime) -> list[Group]:
        """Advance to ``now`` and return the groups of the next frame, in meter order."""
        now = now.astimezone(PARIS)
        self.advance(now)
        if self.profile.mode is TicMode.HISTORIC:
            return self._historic_groups(now)
        return self._standard_groups(now)

    def _historic_groups(self, now: datetime) -> list[Group]:
        p, t = self.profile, now.timestamp()
        s_va = self.consumption_va(now)
        over = self.overrun(now)
        isousc = p.kva * 1000 // 200 // p.phases
        if over:
            s_va += (isousc + 5) * 230.0 / (1 if p.phases == 1 else 2)
        if p.phases == 1:
            currents = [isousc + 5 if over else round(s_va / self.voltage(t, 1))]
        else:
            currents = [
                round(s_va * w / self.voltage(t, i + 1))
                for i, w in enumerate(self.phase_weights(t))
            ]
            if over:
                currents[0] = isousc + 5
        iinst = [f"{min(i, 999):03d}" for i in currents]
        if over and p.phases == 3:
            self._cycle += 1
            if self._cycle % (SHORT_FRAMES_PER_LONG + 1):
                short = [(f"ADIR{n + 1}", iinst[n]) for n in range(3) if currents[n] > isousc]
                short += [("ADCO", p.serial)] + [(f"IINST{n + 1}", iinst[n]) for n in range(3)]
                return [(label, data, None) for label, data in short]
        else:
            self._cycle = 0
        regs = TARIFFS[p.tariff]
        idx = self.register_index(now)
        ptec = {"base": "TH..", "hc": "HC.." if idx == 0 else "HP.."}.get(p.tariff)
        colour = self.tempo_colour(now)
        out = [
            ("ADCO", p.serial),
            ("OPTARIF", {"base": "BASE", "hc": "HC..", "tempo": "BBR("}[p.tariff]),
            ("ISOUSC", f"{isousc:02d}"),
        ]
        out += [(label, f"{int(self.registers[key]):09d}") for label, key in regs]
        out.append(("PTEC", ptec or ("HC" if idx % 2 == 0 else "HP") + "J" + "BWR"[colour]))
        if p.tariff == "tempo":
            tomorrow = self.tempo_colour(now + timedelta(days=1))
            known = now.hour >= 11
            out.append(("DEMAIN", TEMPO_NAMES[tomorrow][0] if known else "----"))
        papp = f"{min(99990, round(s_va, -1)):05.0f}"
        if p.phases == 1:
            out += [("IINST", iinst[0])]
            if over:
                out.append(("ADPS", iinst[0]))
            out += [("IMAX", "090"), ("PAPP", papp), ("HHPHC", "A"), ("MOTDETAT", "000000")]
        else:
            pmax = random.Random(f"pmax:{self.seed}:{now.date().toordinal()}").randrange(4, 9)
            out += [(f"IINST{n}", iinst[n - 1]) for n in (1, 2, 3)]
            out += [(f"IMAX{n}", "060") for n in (1, 2, 3)]
            out += [("PMAX", f"{pmax * 1000 + 480:05d}"), ("PAPP", papp), ("HHPHC", "A")]
            out += [("MOTDETAT", "000000"), ("PPOT", "00")]
        return [(label, data, None) for label, data in out]

    def _standard_groups(self, now: datetime) -> list[Group]:
        p, t = self.profile, now.timestamp()
        hd = format_horodate(now, degraded=self.degraded_clock)
        net = self.net_va(now)
        drawn, injected = max(0, round(net)), max(0, round(-net))
        volts = [self.voltage(t, n) for n in range(1, p.phases + 1)]
        weights = self.phase_weights(t) if p.phases == 3 else (1.0,)
        per_phase = [round(drawn * w) for w in weights]
        idx = self.register_index(now)
        keys = [key for _, key in TARIFFS[p.tariff]]
        supplier = [int(self.registers[k]) for k in keys]
        distributor = [0, 0, 0, 0]
        for i, value in enumerate(supplier):
            distributor[1 if p.tariff != "base" and i % 2 == 0 else 0] += value
        colour = self.tempo_colour(now)
        if p.tariff == "tempo":
            ngtf = "TEMPO"
            ltarf = f"{'HC' if idx % 2 == 0 else 'HP'}  {TEMPO_NAMES[colour][1]}".center(16)
        else:
            ngtf, ltarf = "BASE", "BASE".ljust(16)
        out: list[Group] = [("ADSC", p.serial, None), ("VTIC", "02", None), ("DATE", "", hd)]
        out += [("NGTF", ngtf.center(16), None), ("LTARF", ltarf, None)]
        out.append(("EAST", f"{sum(supplier):09d}", None))
        out += [(f"EASF{n:02d}", f"{(supplier + [0] * 10)[n - 1]:09d}", None) for n in range(1, 11)]
        out += [(f"EASD{n:02d}", f"{distributor[n - 1]:09d}", None) for n in range(1, 5)]
        if p.producer:
            out.append(("EAIT", f"{int(self.injected_wh):09d}", None))
            out += [(f"ERQ{n}", f"{int(self.reactive_varh[n - 1]):09d}", None) for n in range(1, 5)]
        out += [
            (f"IRMS{n}", f"{round(per_phase[n - 1] / volts[n - 1]):03d}", None)
            for n in range(1, p.phases + 1)
        ]
        out += [(f"URMS{n}", f"{volts[n - 1]:03d}", None) for n in range(1, p.phases + 1)]
        out += [("PREF", f"{p.kva:02d}", None), ("PCOUP", f"{p.kva:02d}", None)]
        out.append(("SINSTS", f"{drawn:05d}", None))
        phases = [""] if p.phases == 1 else ["", "1", "2", "3"]
        values = [drawn, *per_phase] if p.phases == 3 else [drawn]
        maxima = [self._track(f"SMAXSN{s}", v, now) for s, v in zip(phases, values, strict=True)]
        if p.phases == 3:
            out += [(f"SINSTS{n}", f"{per_phase[n - 1]:05d}", None) for n in (1, 2, 3)]
        out += [
            (f"SMAXSN{s}", f"{m.today[0]:05d}", format_horodate(m.today[1]))
            for s, m in zip(phases, maxima, strict=True)
        ]
        out += [
            (f"SMAXSN{s}-1", f"{m.yesterday[0]:05d}", format_horodate(m.yesterday[1]))
            for s, m in zip(phases, maxima, strict=True)
        ]
        if p.producer:
            inj = self._track("SMAXIN", injected, now)
            out += [("SINSTI", f"{injected:05d}", None)]
            out += [("SMAXIN", f"{inj.today[0]:05d}", format_horodate(inj.today[1]))]
            out += [("SMAXIN-1", f"{inj.yesterday[0]:05d}", format_horodate(inj.yesterday[1]))]
        out += self._load_curve(now, "CCASN", 1)
        if p.producer:
            out += self._load_curve(now, "CCAIN", -1)
        ten = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
        out += [
            (f"UMOY{n}", f"{self.voltage(ten.timestamp() - 300, n):03d}", format_horodate(ten))
            for n in range(1, p.phases + 1)
        ]
        stge = STGE_BASE | idx << 10 | (idx % 2 == 0 and p.tariff != "base") << 14
        stge |= p.producer << 8 | (injected > 0) << 9 | (drawn > p.kva * 1000) << 7
        stge |= self.degraded_clock << 16
        if p.tariff == "tempo":
            known = now.hour >= 11
            stge |= (colour + 1) << 24 | (
                self.tempo_colour(now + timedelta(days=1)) + 1
            ) * known << 26
        out += [("STGE", f"{stge:08X}", None), ("MSG1", MSG1, None), ("PRM", PRM, None)]
        out += [("RELAIS", "001", None), ("NTARF", f"{idx + 1:02d}", None)]
        out += [("NJOURF", "00", None), ("NJOURF+1", "00", None)]
        pjourf = PJOURF_TEMPO if p.tariff == "tempo" else PJOURF_BASE
        out.append(("PJOURF+1", pjourf, None))
        return out

    def _load_curve(self, now: datetime, label: str, sign: int) -> list[Group]:
        """Mean active power of the last two completed 30-minute periods."""
        end = now.replace(minute=30 * (now.minute // 30), second=0, microsecond=0)
        out: list[Group] = []
        for suffix, stop in (("", end), ("-1", end - timedelta(minutes=30))):
            samples = [
                max(0.0, sign * self.net_va(stop - timedelta(seconds=60 * k)) * POWER_FACTOR)
                for k in range(30)
            ]
            out.append((label + suffix, f"{round(sum(samples) / 30):05d}", format_horodate(stop)))
        return out


def build_frame(
    groups: list[Group],
    mode: TicMode,
    rng: random.Random,
    *,
    bad_checksum_rate: float = 0.0,
    eot: bool = False,
) -> tuple[bytes, int]:
    """
    Encode ``groups`` into frame bytes; return them and how many groups were corrupted.

    With ``eot`` the frame is cut after a random group (or inside it) and ended with EOT.
    """
    encoded: list[bytes] = []
    corrupted = 0
    for label, data, horodate in groups:
        corrupt = bad_checksum_rate > 0 and rng.random() < bad_checksum_rate
        corrupted += corrupt
        encoded.append(encode_group(label, data, mode, horodate, corrupt=corrupt))
    frame = encode_frame(encoded)
    if eot:
        cut = rng.randrange(1, len(frame) - 1)
        return frame[:cut] + b"\x04", corrupted
    return frame, corrupted
