r"""Benchmark our IEC 62056-21 data parser against dsmr_parser 1.11.1 on the same telegrams.

Run from the repository root: ``python benchmarks/bench_iec_parse.py [N]``.

What both accept: a DSMR 2.2 P1 telegram, which *is* an IEC 62056-21 mode D frame sent
without STX/ETX/BCC (``/ident CR LF CR LF <data sets> ! CR LF``). The sample is
dsmr_parser's own ``TELEGRAM_V2_2`` (ISKRA MT382, ndokter/dsmr_parser
test/example_telegrams.py); as on a real meter, the tariff-1 index, the power and the gas
reading change from telegram to telegram. dsmr_parser parses it with its ``V2_2``
specification (no checksum in that version); we parse it with ``PushParser(require_bcc=
False)``, the mode D path for meters that send no BCC. Neither side verifies anything on
this input, and both extract the same data sets (checked below on the registers an
integration uses: indexes, powers, tariff, serials, gas).

Rows:

* ``dsmr_parser V2_2``: ``TelegramParser.parse`` on each telegram already cut out and
  decoded to ``str`` (what its asyncio protocol hands it; the cutting and decoding are not
  timed, which favours it). It converts every value it knows to Decimal/int/datetime.
* ``PushParser``: our mode D parser fed the whole byte stream in 4096-byte chunks (it finds
  the frames and parses the identification itself); values stay strings until asked for.
* ``PushParser + values``: the same, plus the OBIS code and the Decimal of every data set
  (what a coordinator asks for), so the work matches dsmr_parser's conversions.
* ``parse_data_message, BCC``: the same data block sent as a checked IEC data message
  ``STX … ! CR LF ETX BCC`` (what a mode C readout returns), parsed with the BCC verified,
  plus values. dsmr_parser is not run on this framing: its line patterns are anchored at
  the line start, so it would silently drop the STX-prefixed first data set.

Not compared: DSMR 4/5 telegrams (``!`` + CRC16 line) are not IEC 62056-21 data messages and
our parser refuses them; IEC readouts with short OBIS forms (``1.8.0(…)``, ``32.7(…)``,
fixture F1) yield no object at all in dsmr_parser, whose patterns require ``A-B:`` prefixes
(shown at the end). Timings are the best of several interleaved repeats
(time.perf_counter), one run, no assertion on speed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.energy_meters.protocol.iec62056.messages import bcc  # noqa: E402
from custom_components.energy_meters.protocol.iec62056.push import PushParser  # noqa: E402
from custom_components.energy_meters.protocol.iec62056.readout import (  # noqa: E402
    Readout,
    parse_data_message,
)

REPEATS = 7
CHUNK = 4096
F1 = ROOT / "tests" / "fixtures" / "iec62056" / "f1_lgz_e350.bin"

# dsmr_parser's TELEGRAM_V2_2 (ISKRA MT382, DSMR 2.2), values formatted per frame.
TEMPLATE = (
    "/ISk5\\2MT382-1004\r\n"
    "\r\n"
    "0-0:96.1.1(00000000000000)\r\n"
    "1-0:1.8.1({t1}*kWh)\r\n"
    "1-0:1.8.2(00001.001*kWh)\r\n"
    "1-0:2.8.1(00001.001*kWh)\r\n"
    "1-0:2.8.2(00001.001*kWh)\r\n"
    "0-0:96.14.0(0001)\r\n"
    "1-0:1.7.0({power}*kW)\r\n"
    "1-0:2.7.0(0000.00*kW)\r\n"
    "0-0:17.0.0(0999.00*kW)\r\n"
    "0-0:96.3.10(1)\r\n"
    "0-0:96.13.1()\r\n"
    "0-0:96.13.0()\r\n"
    "0-1:24.1.0(3)\r\n"
    "0-1:96.1.0(000000000000)\r\n"
    "0-1:24.3.0(161107190000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n"
    "({gas})\r\n"
    "0-1:24.4.0(1)\r\n"
    "!\r\n"
)
# dsmr_parser attribute -> (OBIS address, index in [value, *extra]) for the agreement check.
CHECKED = {
    "EQUIPMENT_IDENTIFIER": ("0-0:96.1.1", 0),
    "ELECTRICITY_USED_TARIFF_1": ("1-0:1.8.1", 0),
    "ELECTRICITY_USED_TARIFF_2": ("1-0:1.8.2", 0),
    "ELECTRICITY_DELIVERED_TARIFF_1": ("1-0:2.8.1", 0),
    "ELECTRICITY_DELIVERED_TARIFF_2": ("1-0:2.8.2", 0),
    "ELECTRICITY_ACTIVE_TARIFF": ("0-0:96.14.0", 0),
    "CURRENT_ELECTRICITY_USAGE": ("1-0:1.7.0", 0),
    "CURRENT_ELECTRICITY_DELIVERY": ("1-0:2.7.0", 0),
    "ACTUAL_TRESHOLD_ELECTRICITY": ("0-0:17.0.0", 0),
    "EQUIPMENT_IDENTIFIER_GAS": ("0-1:96.1.0", 0),
}


def telegram(i: int) -> bytes:
    """DSMR 2.2 telegram number ``i`` (index, power and gas advance)."""
    return TEMPLATE.format(
        t1=f"{1.001 + 3 * i / 1000:09.3f}",
        power=f"{(101 + 37 * i) % 10000 / 100:07.2f}",
        gas=f"{1.001 + i / 1000:09.3f}",
    ).encode("ascii")


def data_message(frame: bytes) -> bytes:
    """The telegram's data block as a checked IEC data message ``STX … ETX BCC``."""
    _, _, block = frame.partition(b"\r\n\r\n")
    body = block + b"\x03"
    return b"\x02" + body + bytes((bcc(body),))


def touch_values(readouts: list[Readout]) -> int:
    """Ask every data set for its OBIS code and number, as a coordinator does."""
    count = 0
    for readout in readouts:
        for data_set in readout.data_sets:
            if data_set.obis is not None and data_set.number is not None:
                count += 1
    return count


def ours_push(stream: bytes, *, values: bool) -> Callable[[], int]:
    def run() -> int:
        parser = PushParser(require_bcc=False)
        readouts: list[Readout] = []
        for pos in range(0, len(stream), CHUNK):
            readouts += parser.feed(stream[pos : pos + CHUNK])
        if values:
            touch_values(readouts)
        return len(readouts)

    return run


def ours_checked(messages: list[bytes]) -> Callable[[], int]:
    def run() -> int:
        readouts = [parse_data_message(message) for message in messages]
        touch_values(readouts)
        return len(readouts)

    return run


def theirs(texts: list[str]) -> Callable[[], int]:
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    parser = TelegramParser(telegram_specifications.V2_2)

    def run() -> int:
        for text in texts:
            parser.parse(text)
        return len(texts)

    return run


def check_same_values(frame: bytes) -> None:
    """dsmr_parser and PushParser must read the same registers from one telegram."""
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    parsed = TelegramParser(telegram_specifications.V2_2).parse(frame.decode("ascii"))
    (readout,) = PushParser(require_bcc=False).feed(frame)
    ours = {ds.address: (ds.value, *ds.extra) for ds in readout.data_sets}
    for name, (address, index) in CHECKED.items():
        theirs_value = getattr(parsed, name).value
        mine = ours[address][index]
        if isinstance(theirs_value, Decimal):
            assert Decimal(mine) == theirs_value, (name, mine, theirs_value)
        else:
            assert mine == str(theirs_value), (name, mine, theirs_value)
    gas = parsed.GAS_METER_READING.values[-1]["value"]
    assert Decimal(ours["0-1:24.3.0"][-1]) == gas, (ours["0-1:24.3.0"], gas)


def best_of(funcs: list[Callable[[], int]]) -> list[float]:
    """Best time of each function; runs are interleaved so load affects all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(REPEATS):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def f1_objects_in_dsmr_parser() -> int:
    """Objects dsmr_parser finds in fixture F1 (L+G E350 readout, short OBIS forms)."""
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    text = F1.read_bytes().decode("ascii")
    found = 0
    for spec in (telegram_specifications.V2_2, telegram_specifications.ISKRA_IE):
        found += len(list(TelegramParser(spec).parse(text)))
    return found


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from importlib.metadata import version

    frames = [telegram(i) for i in range(n)]
    for frame in frames[:16]:
        check_same_values(frame)
    stream = b"".join(frames)
    texts = [frame.decode("ascii") for frame in frames]
    messages = [data_message(frame) for frame in frames]
    runs = [
        theirs(texts),
        ours_push(stream, values=False),
        ours_push(stream, values=True),
        ours_checked(messages),
    ]
    for run in runs:
        assert run() == n
    times = best_of(runs)
    megabytes = len(stream) / 1e6

    print(f"IEC 62056-21 parse benchmark: {n} DSMR 2.2 telegrams, best of {REPEATS} runs")
    print(
        f"Python {sys.version.split()[0]}, dsmr-parser {version('dsmr-parser')}, "
        f"telegram {len(frames[0])} B, "
        f"{len(PushParser(require_bcc=False).feed(frames[0])[0].data_sets)} data sets"
    )
    header = f"{'case':<52} {'telegrams/s':>12} {'MB/s':>6} {'speedup':>8}"
    print(header)
    print("-" * len(header))
    labels = [
        "dsmr_parser TelegramParser(V2_2).parse",
        f"PushParser {CHUNK} B chunks",
        f"PushParser {CHUNK} B chunks + OBIS/Decimal of every set",
        "parse_data_message (STX..ETX, BCC checked) + values",
    ]
    for label, seconds in zip(labels, times, strict=True):
        print(
            f"{label:<52} {n / seconds:>12,.0f} {megabytes / seconds:>6.2f} "
            f"{times[0] / seconds:>7.1f}x"
        )
    print()
    print(
        f"summary: our IEC parser (with values) is {times[0] / times[2]:.1f}x dsmr_parser "
        f"on the same DSMR 2.2 telegrams ({times[0] / times[1]:.1f}x without value conversion)"
    )
    print(
        f"fixture F1 (L+G E350, short OBIS forms): dsmr_parser V2_2 + ISKRA_IE find "
        f"{f1_objects_in_dsmr_parser()} objects; not comparable"
    )


if __name__ == "__main__":
    main()
