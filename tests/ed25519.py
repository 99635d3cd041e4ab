"""Ed25519 signatures with a nonce of our choosing: what a non-deterministic signer makes.

RFC 8032 derives the nonce from the key and the message, so one key signs one
message one way; but any nonce gives a signature that verifies, and a signer
that draws it at random (or a hardware token, or an attacker holding the key)
signs the same message many ways.  The registry must treat those signatures as
one statement.  Arithmetic after RFC 8032 §5.1 and §6 (extended coordinates);
slow and not constant-time: for tests only.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
"""The order of the base point: a signature's S must be below it."""
D = -121665 * pow(121666, P - 2, P) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]


def _recover_x(y: int, sign: int) -> int:
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * _SQRT_M1 % P
    if x & 1 != sign:
        x = P - x
    return x


_BY = 4 * pow(5, P - 2, P) % P
_BX = _recover_x(_BY, 0)
BASE: Point = (_BX, _BY, 1, _BX * _BY % P)


def _add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _encode(point: Point) -> bytes:
    inverse = pow(point[2], P - 2, P)
    x, y = point[0] * inverse % P, point[1] * inverse % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _h(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def sign_with_nonce(key: Ed25519PrivateKey, message: bytes, nonce: bytes) -> bytes:
    """A valid Ed25519 signature of ``message`` by ``key``, its nonce derived from ``nonce``.

    With another ``nonce`` the signature differs and still verifies.
    """
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    expanded = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(expanded[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    public = _encode(_multiply(scalar, BASE))
    r = _h(b"nonce", nonce, expanded[32:], message) % L
    big_r = _encode(_multiply(r, BASE))
    s = (r + _h(big_r, public, message) * scalar) % L
    return big_r + s.to_bytes(32, "little")


def malleate(signature: bytes) -> bytes:
    """The same signature with S + L in place of S: equal modulo L, refused by RFC 8032."""
    s = int.from_bytes(signature[32:], "little") + L
    return signature[:32] + s.to_bytes(32, "little")
