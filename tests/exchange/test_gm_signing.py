"""国密 signing of uploads: SM3 against GB/T 32905-2016's examples, HMAC-SM3 against the RFC
2104 formula written out, SM2 signatures, and the transport's three schemes."""

from __future__ import annotations

import pytest

from lingtan.errors import InvalidInput
from lingtan.exchange import gm, transport

# GB/T 32905-2016 附录A: example 1 ("abc") and example 2 ("abcd" × 16, 512 bits)
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
PRIVATE = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
OTHER = "128b2fa8bd433c6c068c8d803dff79792a519a55171b1b650c23661d15897263"
BODY = b'{"schema": "lingtan-ecm/1", "unit": {"uscc": "914403001922038216"}}'
T = 1_767_225_600  # 2026-01-01T00:00Z


def test_sm3_gives_the_standards_examples() -> None:
    assert gm.sm3_hex(b"abc") == SM3_ABC
    assert gm.sm3_hex(b"abcd" * 16) == SM3_ABCD16


@pytest.mark.parametrize("key", [b"k" * 16, b"x" * 64, b"a-key-longer-than-one-block" * 4])
def test_hmac_sm3_is_the_rfc_2104_construction(key: bytes) -> None:
    # HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m)); K' = K padded with zeros to the 64-byte
    # block, or H(K) padded when K is longer than a block
    block = gm.SM3(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner = bytes.fromhex(gm.sm3_hex(bytes(b ^ 0x36 for b in block) + BODY))
    want = gm.sm3_hex(bytes(b ^ 0x5C for b in block) + inner)
    assert gm.hmac_sm3_hex(key, BODY) == want


def test_sm2_signatures_verify_with_the_signers_public_key_only() -> None:
    public = gm.sm2_public_key(PRIVATE)
    assert len(public) == 128
    sig = gm.sm2_sign_hex(PRIVATE, BODY)
    assert len(sig) == 128  # r ‖ s, 32 bytes each
    assert gm.sm2_verify(public, sig, BODY)
    assert not gm.sm2_verify(public, sig, BODY + b" ")
    assert not gm.sm2_verify(gm.sm2_public_key(OTHER), sig, BODY)
    assert not gm.sm2_verify(public, "00" * 64, BODY)
    assert not gm.sm2_verify(public, "zz", BODY)


@pytest.mark.parametrize(
    ("secret", "scheme"),
    [
        ("a-shared-secret-of-the-platform", "hmac-sha256"),
        ("hmac-sm3:a-shared-secret-of-the-platform", "hmac-sm3"),
        (f"sm2:{PRIVATE}", "sm2-sm3"),
    ],
)
def test_each_scheme_signs_and_the_receiver_verifies(secret: str, scheme: str) -> None:
    hdrs = transport.headers(secret.encode(), BODY, timestamp=T, nonce="k1", unit="9144")
    assert hdrs["X-ECM-Signature"].startswith(f"{scheme}=")
    got = {k.lower(): v for k, v in hdrs.items()}
    public = gm.sm2_public_key(PRIVATE)
    assert transport.verify(secret.encode(), BODY, got, now_s=T + 10, sm2_public=public)
    assert not transport.verify(secret.encode(), BODY + b"x", got, now_s=T + 10, sm2_public=public)
    assert not transport.verify(secret.encode(), BODY, got, now_s=T + 400, sm2_public=public)
    if scheme == "hmac-sm3":
        # the same key read as an HMAC-SHA256 key does not verify an HMAC-SM3 signature
        assert not transport.verify(b"a-shared-secret-of-the-platform", BODY, got, now_s=T)
        want = gm.hmac_sm3_hex(b"a-shared-secret-of-the-platform",
                               f"{T}.k1.".encode() + BODY)  # fmt: skip
        assert hdrs["X-ECM-Signature"] == f"hmac-sm3={want}"


def test_a_malformed_sm2_key_is_refused_when_the_channel_is_made() -> None:
    transport.check_secret(f"sm2:{PRIVATE}")
    transport.check_secret("hmac-sm3:anything-at-all-16")
    with pytest.raises(InvalidInput, match="SM2 private key must be 64 hexadecimal digits"):
        transport.check_secret("sm2:not-a-key-at-all")
    with pytest.raises(InvalidInput, match=r"\[1, n − 2\]"):
        transport.check_secret("sm2:" + "0" * 64)
