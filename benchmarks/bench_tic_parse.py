"""Benchmark TicParser against pyteleinfo 0.4.0 on the same TIC frames.

Run from the repository root: ``python benchmarks/bench_tic_parse.py [N]``.

Streams of N frames are built from tests/fixtures/tic/*.bin (historic and standard).
TicParser is fed the whole stream in 64-byte and 4096-byte chunks (it has to find the
frames itself); pyteleinfo's ``teleinfo.decode`` is given each frame already cut out,
which favours it. Timings are the best of several repeats (time.perf_counter).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.energy_meters.protocol.tic.framing import (  # noqa: E402
    TicMode,
    TicParser,
)

FIXTURES = ROOT / "tests" / "fixtures" / "tic"
REPEATS = 7
SETS: dict[str, tuple[TicMode, list[str]]] = {
    "historic": (TicMode.HISTORIC, ["historic_tempo_single_phase", "historic_ejp_three_phase"]),
    "standard": (TicMode.STANDARD, ["standard_single_phase", "standard_three_phase_producer_tempo"]),
}


def best_of(func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def without_spaces_in_data(frame: bytes) -> bytes:
    """Drop the groups whose data contains a space (pyteleinfo rejects them)."""
    body = frame[1:-1].split(b"\n")[1:]
    return b"\x02" + b"".join(b"\n" + g for g in body if b" " not in g[:-2]) + b"\x03"


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
        return f"{type(err).__name__}: {str(err).splitlines()[0][:90]}"
    return None


def check_same_decoding(mode: TicMode, frame: bytes) -> None:
    """pyteleinfo and TicParser must agree on label -> data (horodate apart)."""
    import teleinfo

    mine = TicParser(mode).feed(frame)[0]
    for label, data in teleinfo.decode(frame).items():
        group = mine.groups[label]
        expected = group.data
        if group.horodate is not None:  # pyteleinfo keeps "horodate HT data"
            expected = data.rsplit("\t", 1)[-1]
        assert expected == group.data, (label, data, group)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    import teleinfo

    print(f"TIC parse benchmark: {n} frames per run, best of {REPEATS}")
    print(f"Python {sys.version.split()[0]}, pyteleinfo {teleinfo.__version__}")
    header = f"{'case':<40} {'frames/s':>12} {'MB/s':>8} {'vs pyteleinfo':>14}"
    print(header)
    print("-" * len(header))
    for name, (mode, fixtures) in SETS.items():
        samples = [(FIXTURES / f"{f}.bin").read_bytes() for f in fixtures]
        variants = [(name, samples)]
        errors = {f: pyteleinfo_error(s) for f, s in zip(fixtures, samples, strict=True)}
        if any(errors.values()):
            for fixture, error in errors.items():
                if error:
                    print(f"  pyteleinfo cannot decode {fixture}: {error}")
            variants = [(f"{name} (groups w/o spaces only)", [without_spaces_in_data(s) for s in samples])]
            variants.insert(0, (name, samples))
        for label, frames_src in variants:
            frames = [frames_src[i % len(frames_src)] for i in range(n)]
            stream = b"".join(frames)
            megabytes = len(stream) / 1e6
            ok = all(pyteleinfo_error(f) is None for f in frames_src)
            if ok:
                for f in frames_src:
                    check_same_decoding(mode, f)
                t_them = best_of(theirs(frames))
                print(f"{'pyteleinfo decode, ' + label:<40} {n / t_them:>12,.0f} {megabytes / t_them:>8.2f} {'1.0x':>14}")
            else:
                t_them = None
                print(f"{'pyteleinfo decode, ' + label:<40} {'cannot decode these frames':>36}")
            for chunk in (64, 4096):
                run = ours(mode, stream, chunk)
                assert run() == n
                t_us = best_of(run)
                ratio = f"{t_them / t_us:.1f}x" if t_them else "n/a"
                case = f"TicParser {chunk:>4} B chunks, {label}"
                print(f"{case:<40} {n / t_us:>12,.0f} {megabytes / t_us:>8.2f} {ratio:>14}")
        print()


if __name__ == "__main__":
    main()
