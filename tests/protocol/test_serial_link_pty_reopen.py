"""Reopening a pty at the same speed: Linux refuses 7E1 on ptys with EINVAL."""

from __future__ import annotations

import os
import termios

from custom_components.energy_meters.protocol.serial_link import SerialSettings, open_serial


async def test_pty_can_be_reopened_at_the_same_speed() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        for _ in range(3):  # the second open used to fail with "Invalid argument"
            link = await open_serial(path, SerialSettings(baudrate=9600))
            os.write(master, b"\x02\nADCO 021861348497 L\r\x03")
            assert await link.read() != b""
            await link.close()
        assert termios.tcgetattr(slave)[4] == termios.B9600
    finally:
        os.close(master)
        os.close(slave)


async def test_einval_on_a_regular_path_is_not_retried(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from custom_components.energy_meters.protocol.serial_link import _is_pty_refusing_parity

    err = OSError(22, "Invalid argument")
    assert not _is_pty_refusing_parity(str(tmp_path), err, SerialSettings(baudrate=1200))
    assert not _is_pty_refusing_parity("/dev/pts/0", ValueError("x"), SerialSettings(baudrate=1200))
    assert not _is_pty_refusing_parity(
        "/dev/pts/0", err, SerialSettings(baudrate=1200, bytesize=8, parity="N")
    )
    assert not _is_pty_refusing_parity("/nonexistent/tty", err, SerialSettings(baudrate=1200))
