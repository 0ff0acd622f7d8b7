"""Benchmark TicParser against pyteleinfo 0.4.0 on the same TIC frames.

Run from the repository root: ``python benchmarks/bench_tic_parse.py [N]``.

Streams of N frames are built from tests/fixtures/tic/*.bin (historic and standard).
As on a real meter, the volatile groups (power, currents, the active index, DATE…)
change from frame to frame while the others repeat. TicParser caches the groups it has
already validated by their exact bytes, so a stream of identical frames would flatter
it; that case is shown separately. TicParser is fed the whole stream in 64-byte and
4096-byte chunks (it finds the frames itself); pyteleinfo's ``teleinfo.decode`` is
given each frame already cut out, which favours it. Timings are the best of several
repeats (time.perf_counter). No assertion is made on speed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.energy_meters.protocol.tic.checksum import tic_checksum  # noqa: E402
from custom_components.energy_meters.protocol.tic.framing import (  # noqa: E402
    TicMode,
    TicParser,
)
from custom_components.energy_meters.protocol.tic.horodate import (  # noqa: E402
    format_horodate,
    parse_horodate,
)

FIXTURES = ROOT / "tests" / "fixtures" / "tic"
REPEATS = 9
CHUNKS = (64, 4096)
SETS: dict[str, tuple[TicMode, list[str]]] = {
    "historic": (TicMode.HISTORIC, ["historic_tempo_single_phase", "historic_ejp_three_phase"]),
    "standard": (
        TicMode.STANDARD,
        ["standard_single_phase", "standard_three_phase_producer_tempo"],
    ),
}
VOLATILE = {
    # historic
    "PAPP", "IINST", "IINST1", "IINST2", "IINST3", "BBRHCJB", "EJPHN",
    # standard (DATE: its horodate advances)
    "DATE", "EAST", "EASF01", "EASD01", "IRMS1", "URMS1", "SINSTS", "SINSTS1", "SINSTS2",
    "EAIT", "ERQ1",
}  # fmt: skip


def vary(mode: TicMode, frame: bytes, i: int) -> bytes:
    """Return ``frame`` with its volatile groups changed for frame number ``i``."""
    sep = mode.separator
    out = []
    for group in frame[1:-1].split(b"\n")[1:]:
        fields = group[:-3].split(sep)
        if fields[0].decode() == "DATE":
            stamp = parse_horodate(fields[1].decode())
            assert stamp is not None
            fields[1] = format_horodate(stamp.when + timedelta(seconds=2 * i)).encode()
        elif fields[0].decode() in VOLATILE:
            width = len(fields[-1])
            fields[-1] = str(int(fields[-1]) + 7 * i).zfill(width)[-width:].encode()
        payload = sep.join(fields)
        summed = payload if mode is TicMode.HISTORIC else payload + sep
        out.append(b"\n" + payload + sep + bytes((tic_checksum(summed),)) + b"\r")
    return b"\x02" + b"".join(out) + b"\x03"


def without_spaces_in_data(frame: bytes) -> bytes:
    """Drop the groups whose data contains a space (pyteleinfo rejects them)."""
    body = frame[1:-1].split(b"\n")[1:]
    return b"\x02" + b"".join(b"\n" + g for g in body if b" " not in g[:-2]) + b"\x03"


def best_of(funcs: list[Callable[[], object]]) -> list[float]:
    """Best time of each function; runs are interleaved so load affects all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(REPEATS):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def ours(mode: TicMode, stream: bytes, chunk: int) -> Callable[[], int]:
    def run() -> int:
        parser = TicParser(mode)
        count = 0
        for pos in range(0, len(stream), chunk):
            count += len(parser.feed(stream[pos : pos + chunk]))
        return count

    return run


def theirs(frames: list[bytes]) -> Callable[[], int]:
    import teleinfo

    def run() -> int:
        for frame in frames:
            teleinfo.decode(frame)
        return len(frames)

    return run


def pyteleinfo_error(frame: bytes) -> str | None:
    """Return why pyteleinfo cannot decode this frame, or None when it can."""
    import teleinfo

    try:
        teleinfo.decode(frame)
    except Exception as err:  # noqa: BLE001 - report whatever it raises
        return f"{type(err).__name__}: {str(err).splitlines()[0][:100]}"
    return None


def check_same_decoding(mode: TicMode, frame: bytes) -> None:
    """pyteleinfo and TicParser must agree on label -> data (horodate apart)."""
    import teleinfo

    mine = TicParser(mode).feed(frame)[0]
    for label, data in teleinfo.decode(frame).items():
        group = mine.groups[label]
        # pyteleinfo leaves "horodate HT data" in the data of dated groups.
        theirs_data = data.rsplit("\t", 1)[-1] if group.horodate is not None else data
        assert theirs_data == group.data, (label, data, group)


def build(mode: TicMode, samples: list[bytes], n: int, *, pyteleinfo_only: bool) -> list[bytes]:
    """N varied frames; with ``pyteleinfo_only``, skip variations pyteleinfo rejects."""
    frames = []
    i = 0
    while len(frames) < n:
        frame = vary(mode, samples[i % len(samples)], i)
        i += 1
        if pyteleinfo_only and pyteleinfo_error(frame) is not None:
            continue  # e.g. a standard group whose checksum character is a space
        frames.append(frame)
    return frames


def row(case: str, n: int, megabytes: float, seconds: float, ratio: str) -> None:
    print(f"{case:<58} {n / seconds:>10,.0f} {megabytes / seconds:>7.2f} {ratio:>8}")


def run_case(mode: TicMode, label: str, frames: list[bytes], *, compare: bool) -> None:
    n = len(frames)
    stream = b"".join(frames)
    megabytes = len(stream) / 1e6
    runs = [ours(mode, stream, chunk) for chunk in CHUNKS]
    for run in runs:
        assert run() == n
    if compare:
        for frame in frames[:16]:
            check_same_decoding(mode, frame)
        runs.append(theirs(frames))
    times = best_of(runs)
    t_them = times.pop() if compare else None
    if t_them is not None:
        row(f"pyteleinfo decode, {label}", n, megabytes, t_them, "1.0x")
    for chunk, t_us in zip(CHUNKS, times, strict=True):
        ratio = f"{t_them / t_us:.1f}x" if t_them else "n/a"
        row(f"TicParser {chunk:>4} B chunks, {label}", n, megabytes, t_us, ratio)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    import teleinfo

    print(f"TIC parse benchmark: {n} frames per case, best of {REPEATS} runs")
    print(f"Python {sys.version.split()[0]}, pyteleinfo {teleinfo.__version__}")
    header = f"{'case':<58} {'frames/s':>10} {'MB/s':>7} {'speedup':>8}"
    print(header)
    print("-" * len(header))
    for name, (mode, fixtures) in SETS.items():
        samples = [(FIXTURES / f"{f}.bin").read_bytes() for f in fixtures]
        frames = build(mode, samples, n, pyteleinfo_only=False)
        failures = {pyteleinfo_error(f) for f in frames} - {None}
        if failures:
            print(f"pyteleinfo cannot decode {name} frames, e.g.:")
            for failure in sorted(str(f) for f in failures)[:3]:
                print(f"  {failure}")
            run_case(mode, name, frames, compare=False)
            compatible = [without_spaces_in_data(s) for s in samples]
            frames_ok = build(mode, compatible, n, pyteleinfo_only=True)
            run_case(mode, f"{name}, pyteleinfo-decodable", frames_ok, compare=True)
        else:
            run_case(mode, name, frames, compare=True)
        identical = [samples[i % len(samples)] for i in range(n)]
        run_case(mode, f"{name}, identical frames", identical, compare=False)
        print()
    print("speedup = pyteleinfo time / TicParser time on the same frames")
    print("pyteleinfo-decodable = standard frames without the groups pyteleinfo rejects")
    print("(data containing spaces: NGTF, LTARF, MSG1, PJOURF+1; checksum character = space)")


if __name__ == "__main__":
    main()
