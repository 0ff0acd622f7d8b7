"""
Transport errors, mapped once to the translation keys users read.

The config flow shows ``config.error.<key>``; coordinators raise
``UpdateFailed``/``ConfigEntryNotReady`` with ``exceptions.<key>``. Both come
from :func:`transport_error_key`, so a port that is not a serial port, a host
name that does not resolve or a busy port says the same thing in the flow and
on the entry.
"""

from __future__ import annotations

import errno
import socket
from typing import Final

from .protocol.serial_link import (
    InvalidPortUrlError,
    PortAccessError,
    PortNotFoundError,
    SerialLinkError,
)

# translation keys (config.error.* and exceptions.*)
INVALID_PORT: Final = "invalid_port"
HOST_NOT_FOUND: Final = "host_not_found"
NOT_SERIAL_PORT: Final = "not_serial_port"
PORT_NOT_FOUND: Final = "port_not_found"
PORT_BUSY: Final = "port_busy"
CANNOT_CONNECT: Final = "cannot_connect"
CONNECTION_LOST: Final = "connection_lost"

_NOT_A_TTY: Final = frozenset({errno.ENOTTY, errno.EISDIR})


def _causes(err: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def transport_error_key(err: SerialLinkError) -> str:
    """Return the translation key that tells the user what is wrong with the port."""
    chain = _causes(err)
    if any(isinstance(cause, socket.gaierror) for cause in chain):
        return HOST_NOT_FOUND
    if isinstance(err, InvalidPortUrlError):
        return INVALID_PORT
    if isinstance(err, PortNotFoundError):
        return PORT_NOT_FOUND
    if isinstance(err, PortAccessError):
        return PORT_BUSY
    if any(isinstance(cause, OSError) and cause.errno in _NOT_A_TTY for cause in chain[1:]):
        return NOT_SERIAL_PORT
    return CANNOT_CONNECT
