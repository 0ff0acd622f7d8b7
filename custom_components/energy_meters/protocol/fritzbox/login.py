"""
FRITZ!Box login (``/login_sid.lua``): challenge responses and the ``SessionInfo`` answer.

Version 2 (FRITZ!OS >= 7.24) sends ``2$<iter1>$<salt1>$<iter2>$<salt2>`` and expects
``<salt2>$hex(PBKDF2(PBKDF2(password, salt1, iter1), salt2, iter2))`` (HMAC-SHA256).
Older firmware ignores ``version=2`` and sends 8 hex characters: the answer is
``<challenge>-md5(utf16le("<challenge>-<password>"))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
from typing import Final

from .xml import AhaParseError, parse_xml

NO_SID: Final = "0000000000000000"


def pbkdf2_response(challenge: str, password: str) -> str:
    """Answer a version-2 (PBKDF2) challenge."""
    try:
        _, iter1, salt1, iter2, salt2 = challenge.split("$")
        hash1 = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), bytes.fromhex(salt1), int(iter1)
        )
        hash2 = hashlib.pbkdf2_hmac("sha256", hash1, bytes.fromhex(salt2), int(iter2))
    except ValueError as err:
        raise AhaParseError(f"malformed PBKDF2 challenge {challenge!r}") from err
    return f"{salt2}${hash2.hex()}"


def md5_response(challenge: str, password: str) -> str:
    """Answer a version-1 (MD5) challenge; characters above U+00FF become ``.``."""
    text = "".join(c if ord(c) <= 0xFF else "." for c in f"{challenge}-{password}")
    digest = hashlib.md5(text.encode("utf-16-le"), usedforsecurity=False).hexdigest()
    return f"{challenge}-{digest}"


def challenge_response(challenge: str, password: str) -> str:
    """Answer a challenge of either version."""
    if challenge.startswith("2$"):
        return pbkdf2_response(challenge, password)
    return md5_response(challenge, password)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What ``login_sid.lua`` answers."""

    sid: str
    challenge: str
    block_time: int
    rights: dict[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Whether the SID is a session (not ``0000000000000000``)."""
        return self.sid != NO_SID


def parse_session_info(text: str) -> SessionInfo:
    """Parse a ``<SessionInfo>`` answer; raise :class:`AhaParseError` for anything else."""
    root = parse_xml(text)
    if root.tag != "SessionInfo":
        raise AhaParseError(f"not a SessionInfo answer: <{root.tag}>")
    sid = (root.findtext("SID") or "").strip()
    if len(sid) != len(NO_SID):
        raise AhaParseError("SessionInfo without a SID")
    try:
        block_time = int((root.findtext("BlockTime") or "0").strip() or 0)
    except ValueError as err:
        raise AhaParseError("invalid BlockTime") from err
    rights: dict[str, int] = {}
    names = [(node.text or "").strip() for node in root.iterfind("Rights/Name")]
    accesses = [(node.text or "").strip() for node in root.iterfind("Rights/Access")]
    for name, access in zip(names, accesses, strict=False):
        rights[name] = int(access) if access.isdigit() else 0
    return SessionInfo(
        sid=sid,
        challenge=(root.findtext("Challenge") or "").strip(),
        block_time=max(block_time, 0),
        rights=rights,
    )
