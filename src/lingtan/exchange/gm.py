"""Chinese commercial cryptography (国密) for the upload transport: SM3 and SM2, via ``gmssl``.

- SM3 (GB/T 32905-2016 信息安全技术 SM3密码杂凑算法): a 256-bit hash, 64-byte blocks.
- HMAC-SM3: the HMAC construction (RFC 2104 / GB/T 15852.2-2012 MAC algorithm 2) with SM3
  as the hash; Python's :mod:`hmac` builds it from :class:`SM3`.
- SM2 signatures (GB/T 32918.2-2016 数字签名算法) on the recommended curve of GB/T 32918.5-2017,
  the message hashed with SM3 after the signer's Z value computed with the default user ID
  ``1234567812345678`` (GB/T 35276-2017 §10); the signature is r‖s as 64 bytes (128 hex
  digits), not DER.
"""

from __future__ import annotations

import hmac
import re
from typing import Any, Final, cast

from gmssl import func, sm2, sm3

_HEX: Final = re.compile(r"[0-9a-fA-F]+")
#: SM2 key lengths in hex digits: a private key (an integer below the curve order) and a public
#: key as the two coordinates x‖y (uncompressed, without the 04 prefix)
PRIVATE_HEX: Final = 64
PUBLIC_HEX: Final = 128


class SM3:
    """An SM3 hash object with the interface :mod:`hmac` expects (block 64, digest 32 bytes)."""

    name = "sm3"
    digest_size = 32
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._data = bytearray(data)

    def update(self, data: bytes) -> None:
        self._data += data

    def copy(self) -> SM3:
        return SM3(bytes(self._data))

    def digest(self) -> bytes:
        return bytes.fromhex(self.hexdigest())

    def hexdigest(self) -> str:
        return str(sm3.sm3_hash(func.bytes_to_list(bytes(self._data))))


def sm3_hex(data: bytes) -> str:
    """SM3 of ``data`` [hex]."""
    return SM3(data).hexdigest()


def hmac_sm3_hex(key: bytes, message: bytes) -> str:
    """HMAC-SM3 of ``message`` under ``key`` [hex]."""
    # hmac calls the constructor with and without data; typeshed knows only the latter
    return hmac.new(key, message, cast(Any, SM3)).hexdigest()


def _check_hex(value: str, digits: int, what: str) -> str:
    if len(value) != digits or not _HEX.fullmatch(value):
        raise ValueError(f"{what} must be {digits} hexadecimal digits")
    return value.lower()


def sm2_public_key(private_hex: str) -> str:
    """The public key x‖y [hex] of an SM2 private key [hex]."""
    d = int(_check_hex(private_hex, PRIVATE_HEX, "an SM2 private key"), 16)
    if not 0 < d < int(sm2.default_ecc_table["n"], 16) - 1:
        raise ValueError("an SM2 private key must lie in [1, n − 2]")
    signer = sm2.CryptSM2(private_key=private_hex, public_key="")
    return str(signer._kg(d, sm2.default_ecc_table["g"]))


def sm2_sign_hex(private_hex: str, message: bytes) -> str:
    """The SM2 signature r‖s [hex] of ``message`` (SM3 with Z, default user ID)."""
    signer = sm2.CryptSM2(private_key=private_hex, public_key=sm2_public_key(private_hex))
    return str(signer.sign_with_sm3(message))


def sm2_verify(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is a valid SM2 signature of ``message`` by ``public_hex``."""
    try:
        _check_hex(public_hex, PUBLIC_HEX, "an SM2 public key")
        _check_hex(signature_hex, PUBLIC_HEX, "an SM2 signature")
    except ValueError:
        return False
    verifier = sm2.CryptSM2(private_key=None, public_key=public_hex)
    try:
        return bool(verifier.verify_with_sm3(signature_hex, message))
    except (ValueError, ZeroDivisionError):  # a point off the curve, r or s out of range
        return False


__all__ = ["SM3", "hmac_sm3_hex", "sm2_public_key", "sm2_sign_hex", "sm2_verify", "sm3_hex"]
