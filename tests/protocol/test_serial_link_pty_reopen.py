"""
Pseudo-terminals and 7E1: why ptys refuse it, and the explicit ``allow_pty_8n1``.

A Linux pty has no UART: the kernel (``pty_set_termios``) silently forces CS8 and
clears PARENB, and glibc's ``tcsetattr`` reports EINVAL when none of the requested
changes took effect (7E1 at the speed already set). The fallback to 8N1 is therefore
explicit (``SerialSettings(allow_pty_8n1=True)``) and never applies to a real port.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
import struct
import termios

import pytest
import serialx

from custom_components.energy_meters.protocol.serial_link import (
    SerialLinkError,
    SerialSettings,
    is_pseudo_terminal,
    open_serial,
)

_KERNEL_TERMIOS = "IIIIB19s"  # struct termios of TCGETS/TCSETS: 4 flags, c_line, c_cc


def _cflag_7e1(cflag: int) -> int:
    return (cflag & ~termios.CSIZE) | termios.CS7 | termios.PARENB


def test_the_kernel_forces_8n1_on_a_pty() -> None:
    """Root cause: TCSETS accepts 7E1 on a pty and keeps CS8 without parity."""
    master, slave = os.openpty()
    try:
        buf = bytearray(struct.calcsize(_KERNEL_TERMIOS))
        fcntl.ioctl(slave, termios.TCGETS, buf)
        attrs = list(struct.unpack(_KERNEL_TERMIOS, buf))
        attrs[2] = _cflag_7e1(attrs[2])
        fcntl.ioctl(slave, termios.TCSETS, struct.pack(_KERNEL_TERMIOS, *attrs))  # no error
        cflag = termios.tcgetattr(slave)[2]
        assert cflag & termios.CSIZE == termios.CS8
        assert not cflag & termios.PARENB
        # glibc sees that nothing it asked for happened: EINVAL (older glibc: silence);
        # either way the pty is not 7E1
        attrs2 = termios.tcgetattr(slave)
        attrs2[2] = _cflag_7e1(attrs2[2])
        refused: int | None = None
        try:
            termios.tcsetattr(slave, termios.TCSANOW, attrs2)
        except termios.error as err:
            refused = err.args[0]
        assert refused in {None, errno.EINVAL}
        assert termios.tcgetattr(slave)[2] & termios.CSIZE == termios.CS8
    finally:
        os.close(master)
        os.close(slave)


async def test_without_the_flag_a_pty_reopened_at_the_same_speed_is_refused() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        link = await open_serial(path, SerialSettings(baudrate=9600))  # speed changes: accepted
        await link.close()
        with pytest.raises(SerialLinkError, match="allow_pty_8n1=True") as err:
            await open_serial(path, SerialSettings(baudrate=9600))
        assert "cannot apply 7E1" in str(err.value)
    finally:
        os.close(master)
        os.close(slave)


async def test_with_the_flag_a_pty_opens_as_8n1_every_time() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    settings = SerialSettings(baudrate=9600, allow_pty_8n1=True)
    try:
        for _ in range(3):
            link = await open_serial(path, settings)
            assert link.settings == settings  # what was asked; the pty carries it as 8N1
            os.write(master, b"\x02\nADCO 021861348497 L\r\x03")
            assert await link.read() != b""
            await link.close()
        attrs = termios.tcgetattr(slave)
        assert attrs[4] == termios.B9600
        assert attrs[2] & termios.CSIZE == termios.CS8
    finally:
        os.close(master)
        os.close(slave)


async def test_the_flag_does_not_touch_other_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, object]] = []

    async def fake(loop: object, factory: object, url: str, **kwargs: object) -> None:
        seen.append(kwargs)
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(serialx, "create_serial_connection", fake)
    with pytest.raises(SerialLinkError, match="cannot open") as err:
        await open_serial("/dev/ttyUSB9", SerialSettings(1200, allow_pty_8n1=True))
    assert "allow_pty_8n1" not in str(err.value)  # EINVAL on a real port is just an error
    with pytest.raises(SerialLinkError, match="cannot open"):
        await open_serial("socket://127.0.0.1:1", SerialSettings(1200, allow_pty_8n1=True))
    assert [(k["byte_size"], k["parity"]) for k in seen] == [(7, "E"), (7, "E")]


def test_is_pseudo_terminal(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        assert is_pseudo_terminal(os.ttyname(slave))
    finally:
        os.close(master)
        os.close(slave)
    assert not is_pseudo_terminal(str(tmp_path))
    assert not is_pseudo_terminal("/dev/null")
    assert not is_pseudo_terminal("/nonexistent/tty")
    assert not is_pseudo_terminal("socket://127.0.0.1:2000")
    assert not is_pseudo_terminal("bad\0path")


def test_settings_format() -> None:
    assert SerialSettings(1200).format == "7E1"
    assert not SerialSettings(1200).is_8n1
    assert SerialSettings(9600, 8, "N", 1).is_8n1
    assert not SerialSettings(9600, 8, "N", 2).is_8n1
