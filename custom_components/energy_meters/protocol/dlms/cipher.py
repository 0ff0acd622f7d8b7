"""
DLMS ciphering with AES-128-GCM: general-glo-ciphering (0xDB), general-ciphering (0xDD).

Security suites 0 and 1 (both AES-128-GCM for these APDUs).

Security control byte: 0x10 authentication, 0x20 encryption, low nibble the suite. The IV
is system title (8 bytes) + invocation counter (4 bytes). Authenticated encryption carries
a 12-byte tag over ``SC || AK`` (additional data); without the authentication key the
payload is still deciphered (GCM is CTR mode underneath) and marked unauthenticated.
With an authentication key configured, an unauthenticated APDU is refused (no downgrade).
Encryption-only has no tag: a wrong key is detected by the caller from a plaintext that
does not parse (see :func:`.apdu.decode_push`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import ApduError, DecryptionError

GENERAL_GLO_CIPHERING: Final = 0xDB
GENERAL_CIPHERING: Final = 0xDD
SC_AUTHENTICATION: Final = 0x10
SC_ENCRYPTION: Final = 0x20
TAG_LENGTH: Final = 12


@dataclass(frozen=True, slots=True)
class Deciphered:
    """Plaintext of a ciphered APDU and what protected it."""

    plaintext: bytes
    system_title: bytes
    invocation_counter: int
    security_control: int
    authenticated: bool  # the tag was checked

    @property
    def encrypted(self) -> bool:
        """Whether the APDU was encrypted (not only authenticated)."""
        return bool(self.security_control & SC_ENCRYPTION)


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """Read an A-XDR/BER length at ``pos``; return (length, position after it)."""
    if pos >= len(data):
        msg = "truncated length"
        raise ApduError(msg)
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4 or pos + 1 + count > len(data):
        msg = "invalid length"
        raise ApduError(msg)
    return int.from_bytes(data[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def encode_length(length: int) -> bytes:
    """Encode an A-XDR/BER length."""
    if length < 0x80:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _octets(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = read_length(data, pos)
    if pos + length > len(data):
        msg = "truncated octet string"
        raise ApduError(msg)
    return data[pos : pos + length], pos + length


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _decipher(
    content: bytes, system_title: bytes, key: bytes, authentication_key: bytes | None
) -> Deciphered:
    if len(content) < 5:
        msg = "ciphered content too short"
        raise ApduError(msg)
    sc = content[0]
    counter = content[1:5]
    payload = content[5:]
    iv = system_title + counter
    if len(system_title) != 8:
        msg = "system title must be 8 bytes"
        raise ApduError(msg)
    if len(key) != 16:
        msg = "the encryption key must be 16 bytes"
        raise DecryptionError(msg)
    if sc & 0x0F > 1 or sc & 0x80:
        msg = f"unsupported security control {sc:#04x}"
        raise ApduError(msg)
    authenticated = False
    if authentication_key is not None and not sc & SC_AUTHENTICATION:
        msg = "APDU not authenticated although an authentication key is configured"
        raise DecryptionError(msg)
    if sc & SC_AUTHENTICATION:
        if len(payload) < TAG_LENGTH:
            msg = "ciphered content shorter than its tag"
            raise ApduError(msg)
        payload, tag = payload[:-TAG_LENGTH], payload[-TAG_LENGTH:]
        if authentication_key is not None:
            if not sc & SC_ENCRYPTION:
                msg = "authentication-only APDUs are not supported"
                raise ApduError(msg)
            decryptor = Cipher(
                algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
            ).decryptor()
            decryptor.authenticate_additional_data(bytes((sc,)) + authentication_key)
            try:
                plaintext = decryptor.update(payload) + decryptor.finalize()
            except InvalidTag as err:
                msg = "authentication tag mismatch: wrong encryption or authentication key"
                raise DecryptionError(msg) from err
            return Deciphered(
                plaintext, system_title, int.from_bytes(counter), sc, authenticated=True
            )
    plaintext = _ctr(key, iv, payload) if sc & SC_ENCRYPTION else payload
    return Deciphered(plaintext, system_title, int.from_bytes(counter), sc, authenticated)


def decipher(apdu: bytes, key: bytes, authentication_key: bytes | None = None) -> Deciphered:
    """
    Decipher a general-glo-ciphering or general-ciphering APDU.

    Raises :class:`DecryptionError` for a tag mismatch and :class:`ApduError` for a
    malformed or unsupported APDU.
    """
    if not apdu:
        msg = "empty APDU"
        raise ApduError(msg)
    if apdu[0] == GENERAL_GLO_CIPHERING:
        system_title, pos = _octets(apdu, 1)
        content, pos = _octets(apdu, pos)
    elif apdu[0] == GENERAL_CIPHERING:
        _transaction_id, pos = _octets(apdu, 1)
        system_title, pos = _octets(apdu, pos)
        _recipient, pos = _octets(apdu, pos)
        _date_time, pos = _octets(apdu, pos)
        _other, pos = _octets(apdu, pos)
        if pos >= len(apdu):
            msg = "truncated general-ciphering"
            raise ApduError(msg)
        if apdu[pos] == 0x01:  # key-info present: only identified-key (0) is supported
            if apdu[pos + 1 : pos + 2] != b"\x00" or pos + 3 > len(apdu):
                msg = "only identified keys are supported in general-ciphering"
                raise ApduError(msg)
            pos += 3
        elif apdu[pos] != 0x00:
            msg = "invalid key-info in general-ciphering"
            raise ApduError(msg)
        else:
            pos += 1
        content, pos = _octets(apdu, pos)
    else:
        msg = f"not a ciphered APDU (tag {apdu[0]:#04x})"
        raise ApduError(msg)
    if pos != len(apdu):
        msg = "bytes after the ciphered content"
        raise ApduError(msg)
    return _decipher(content, system_title, key, authentication_key)


def encipher_glo(
    plaintext: bytes,
    *,
    system_title: bytes,
    invocation_counter: int,
    key: bytes,
    authentication_key: bytes | None = None,
) -> bytes:
    """Build a general-glo-ciphering APDU (simulators and tests; suite 0)."""
    counter = invocation_counter.to_bytes(4, "big")
    iv = system_title + counter
    if authentication_key is None:
        sc = SC_ENCRYPTION
        encryptor = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).encryptor()
        payload = encryptor.update(plaintext) + encryptor.finalize()
    else:
        sc = SC_ENCRYPTION | SC_AUTHENTICATION
        encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
        encryptor.authenticate_additional_data(bytes((sc,)) + authentication_key)
        payload = encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag[:TAG_LENGTH]
    content = bytes((sc,)) + counter + payload
    return (
        bytes((GENERAL_GLO_CIPHERING, len(system_title)))
        + system_title
        + encode_length(len(content))
        + content
    )
