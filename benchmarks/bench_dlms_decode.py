"""Benchmark our DLMS/COSEM push decoder against dlms-cosem 21.3.2 on the same HDLC frames.

Run from the repository root: ``python benchmarks/bench_dlms_decode.py [N]``.

dlms-cosem is pinned at 21.3.2 because core Home Assistant's ``dsmr`` pins dsmr-parser,
which pins it. What that version can decode decides the inputs:

* ``lgz``: the published L+G general-glo-ciphering APDU (tests/fixtures/dlms,
  authenticated encryption, security control 0x30, Green Book keys EK/AK): both decipher
  it with the tag checked. Its body is one 51-byte octet string (a crypto test vector),
  so this case is mostly HDLC + AES-GCM.
* ``kaifa-ae``: the published Kaifa MA309 (TINETZ) DataNotification (13 OBIS values with
  scaler/unit), re-enciphered here with authenticated encryption (0x30, the Kaifa key and
  the Green Book AK) because dlms-cosem cannot decipher the original.
* ``kaifa-plain``: the same DataNotification unencrypted.

Every APDU is carried in one HDLC UI frame (control 0x13, LLC ``E6 E7 00``) with 1-byte
addresses, built by our encoder; the invocation counter changes from frame to frame.
dlms-cosem cannot decode, shown at the end: the original Kaifa APDU (encryption only,
0x21: 21.3.2 always splits off and checks a 12-byte tag, and needs an authentication
key), and any frame with a 2-byte HDLC address, as the E450 sends (HCS error).

Work compared per frame: HDLC flags, length, HCS/FCS; LLC header; deciphering; the
DataNotification header; the A-XDR body; and OBIS code -> value, scaler, unit rows.
Ours: ``HdlcParser`` fed the whole stream in 4096-byte chunks (it finds the frames), then
``decode_push``. dlms-cosem: each frame already cut out (favours it), then
``UnnumberedInformationFrame.from_bytes``, ``XDlmsApduFactory`` / ``to_plain_apdu``,
``DataNotification.from_bytes``, ``DlmsDataParser.parse``; it has no push-list ->
OBIS walker, so the row "+ OBIS rows" adds a small one written here (same rules as our
``extract_values``); the row without it already favours dlms-cosem. dlms-cosem also
converts the notification's date-time to a ``datetime`` (we keep the 12 bytes).
Timings are the best of several interleaved repeats, one run, no assertion on speed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.energy_meters.protocol.dlms.apdu import decode_push  # noqa: E402
from custom_components.energy_meters.protocol.dlms.cipher import encipher_glo  # noqa: E402
from custom_components.energy_meters.protocol.dlms.hdlc import (  # noqa: E402
    HdlcFrame,
    HdlcParser,
    encode_frame,
)

FIXTURES = ROOT / "tests" / "fixtures" / "dlms"
REPEATS = 7
CHUNK = 4096
LLC = b"\xe6\xe7\x00"
GB_EK = bytes(range(16))
GB_AK = bytes(range(0xD0, 0xE0))
KAIFA_KEY = bytes.fromhex("101112131415161718191A1B1C1D1E1F")
KAIFA_TITLE = b"KFM\x10\x10\x00\x00\x23"


def fixture(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / f"{name}.hex").read_text().strip())


def hdlc(apdu: bytes, *, source_size: int = 1) -> bytes:
    """One UI frame carrying ``apdu`` (meter 0x01 -> client 0x10)."""
    return encode_frame(HdlcFrame(0x10, 0x01, 0x13, LLC + apdu), source_size=source_size)


def lgz_apdus(n: int) -> list[bytes]:
    """The published L+G APDU with its invocation counter changed (tag recomputed)."""
    from custom_components.energy_meters.protocol.dlms.cipher import decipher

    published = fixture("lgz_glo_authenticated")
    clear = decipher(published, GB_EK, GB_AK)
    return [published] + [
        encipher_glo(
            clear.plaintext,
            system_title=clear.system_title,
            invocation_counter=clear.invocation_counter + i,
            key=GB_EK,
            authentication_key=GB_AK,
        )
        for i in range(1, n)
    ]


def kaifa_apdus(n: int, *, ciphered: bool) -> list[bytes]:
    plain = fixture("kaifa_tinetz_plaintext")
    if not ciphered:
        return [plain] * n
    return [
        encipher_glo(
            plain,
            system_title=KAIFA_TITLE,
            invocation_counter=0x00295B9A + i,
            key=KAIFA_KEY,
            authentication_key=GB_AK,
        )
        for i in range(n)
    ]


CASES: dict[str, tuple[Callable[[int], list[bytes]], bytes | None, bytes | None]] = {
    "lgz": (lgz_apdus, GB_EK, GB_AK),
    "kaifa-ae": (lambda n: kaifa_apdus(n, ciphered=True), KAIFA_KEY, GB_AK),
    "kaifa-plain": (lambda n: kaifa_apdus(n, ciphered=False), None, None),
}

type Row = tuple[bytes, Any, int, int | None]


def ours(stream: bytes, key: bytes | None, ak: bytes | None) -> Callable[[], list[list[Row]]]:
    def run() -> list[list[Row]]:
        parser = HdlcParser()
        out: list[list[Row]] = []
        for pos in range(0, len(stream), CHUNK):
            for message in parser.feed(stream[pos : pos + CHUNK]):
                notification = decode_push(message, key, ak)
                out.append(
                    [
                        (v.obis.to_bytes(), v.value, v.scaler, v.unit_code)
                        for v in notification.values
                    ]
                )
        return out

    return run


def cosem_rows(items: list[Any]) -> list[Row]:
    """``obis, value[, {scaler, unit}]`` runs in dlms-cosem data objects (our rules)."""
    from dlms_cosem.dlms_data import DataArray, DataStructure, OctetStringData

    found: list[Row] = []
    i = 0
    while i < len(items):
        item = items[i]
        nested = (DataArray, DataStructure)
        if (
            isinstance(item, OctetStringData)
            and len(item.value) == 6
            and i + 1 < len(items)
            and not isinstance(items[i + 1], nested)
        ):
            scaler, unit, step = 0, None, 2
            if i + 2 < len(items) and isinstance(items[i + 2], DataStructure):
                pair = items[i + 2].value
                if len(pair) == 2 and all(isinstance(p.value, int) for p in pair):
                    scaler, unit, step = pair[0].value, pair[1].value, 3
            value = items[i + 1].value
            found.append((bytes(item.value), value, scaler, unit))
            i += step
            continue
        if isinstance(item, nested):
            found += cosem_rows(item.value)
        i += 1
    return found


def theirs(
    frames: list[bytes], key: bytes | None, ak: bytes | None, *, rows: bool
) -> Callable[[], list[list[Row]]]:
    from dlms_cosem.connection import XDlmsApduFactory
    from dlms_cosem.dlms_data import DlmsDataParser
    from dlms_cosem.hdlc.frames import UnnumberedInformationFrame

    def run() -> list[list[Row]]:
        out: list[list[Row]] = []
        for frame in frames:
            info = UnnumberedInformationFrame.from_bytes(frame).payload
            apdu = XDlmsApduFactory.apdu_from_bytes(info[3:])
            if key is not None:
                apdu = XDlmsApduFactory.apdu_from_bytes(apdu.to_plain_apdu(key, ak))
            body = DlmsDataParser().parse(apdu.body)
            out.append(cosem_rows(body) if rows else [])
        return out

    return run


def normalise(rows: list[Row]) -> list[Row]:
    return [(obis, bytes(v) if isinstance(v, bytearray) else v, s, u) for obis, v, s, u in rows]


def cannot_decode() -> list[str]:
    """What dlms-cosem 21.3.2 raises on the frames it cannot decode."""
    from dlms_cosem.connection import XDlmsApduFactory
    from dlms_cosem.hdlc.frames import UnnumberedInformationFrame

    lines = []
    for label, frame, key in (
        ("Kaifa original (0x21 encryption only)", hdlc(fixture("kaifa_tinetz_glo_encryption_only")), KAIFA_KEY),
        ("L+G APDU, 2-byte HDLC source address", hdlc(fixture("lgz_glo_authenticated"), source_size=2), GB_EK),
    ):  # fmt: skip
        try:
            info = UnnumberedInformationFrame.from_bytes(frame).payload
            XDlmsApduFactory.apdu_from_bytes(info[3:]).to_plain_apdu(key, GB_AK)
        except Exception as err:  # noqa: BLE001 - report whatever it raises
            lines.append(f"  {label}: {type(err).__name__}: {str(err)[:70]}")
        else:
            lines.append(f"  {label}: decoded")
        assert decode_push(
            HdlcParser().feed(frame)[0], key, GB_AK if key == GB_EK else None
        ).system_title
    return lines


def best_of(funcs: list[Callable[[], object]]) -> list[float]:
    """Best time of each function; runs are interleaved so load affects all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(REPEATS):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    from importlib.metadata import version

    print(f"DLMS push decode benchmark: {n} HDLC frames per case, best of {REPEATS} runs")
    print(
        f"Python {sys.version.split()[0]}, dlms-cosem {version('dlms-cosem')}, "
        f"cryptography {version('cryptography')}"
    )
    header = f"{'case':<46} {'bytes':>5} {'rows':>4} {'frames/s':>10} {'speedup':>8}"
    print(header)
    print("-" * len(header))
    ratios: dict[str, float] = {}
    for name, (build, key, ak) in CASES.items():
        frames = [hdlc(apdu) for apdu in build(n)]
        stream = b"".join(frames)
        mine = ours(stream, key, ak)
        bare = theirs(frames, key, ak, rows=False)
        full = theirs(frames, key, ak, rows=True)
        result = mine()
        assert len(result) == n
        assert normalise(result[0]) == normalise(full()[0]), (result[0], full()[0])
        t_bare, t_full, t_ours = best_of([bare, full, mine])
        size, rows = len(frames[0]), len(result[0])
        for label, seconds in (
            (f"dlms-cosem, {name}", t_bare),
            (f"dlms-cosem + OBIS rows, {name}", t_full),
            (f"HdlcParser + decode_push, {name}", t_ours),
        ):
            print(
                f"{label:<46} {size:>5} {rows:>4} {n / seconds:>10,.0f} {t_full / seconds:>7.1f}x"
            )
        ratios[name] = t_full / t_ours
        print()
    print("speedup = dlms-cosem (+ OBIS rows) time / time of the row, same frames")
    print("dlms-cosem 21.3.2 cannot decode:")
    for line in cannot_decode():
        print(line)
    summary = ", ".join(f"{name} {ratio:.1f}x" for name, ratio in ratios.items())
    print(f"summary: our DLMS decoder vs dlms-cosem 21.3.2 (+ OBIS rows): {summary}")


if __name__ == "__main__":
    main()
