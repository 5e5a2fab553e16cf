"""JWT bearer authentication (HS256, `sub`/`role`/`exp`) and the customer/admin rules of docs/contract.md."""
import datetime
import functools
from dataclasses import dataclass

import jwt
from flask import current_app, g, request

from .errors import Forbidden, Unauthorized
from .validation import ID_PATTERN

ROLES = ("customer", "admin")
ALLOWED_ALGORITHMS = ("HS256", "HS384", "HS512")


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str

    @property
    def is_admin(self):
        return self.role == "admin"


def issue_token(secret, sub, role, ttl_seconds=24 * 3600, algorithm="HS256"):
    now = datetime.datetime.now(datetime.timezone.utc)
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + datetime.timedelta(seconds=ttl_seconds)}
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(token, secret, algorithm="HS256"):
    """The token's principal; `Unauthorized` for anything but a valid, unexpired token."""
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthorized("Token algorithm not allowed.", code="invalid_token")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp", "sub", "role"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your sign-in has expired; sign in again.", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    sub, role = claims.get("sub"), claims.get("role")
    if not isinstance(sub, str) or not ID_PATTERN.match(sub) or role not in ROLES:
        raise Unauthorized("The token's claims are not valid.", code="invalid_token")
    return Principal(sub, role)


def require_auth(view):
    """Reject requests without a valid bearer token; put the `Principal` on `g.principal`."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Sign-in required: send `Authorization: Bearer <token>`.")
        g.principal = decode_token(
            token.strip(), current_app.config["JWT_SECRET"], current_app.config["JWT_ALGORITHM"]
        )
        return view(*args, **kwargs)

    return wrapped


def authorize_customer(customer_id):
    """A customer acts only on its own wallet; an admin on any."""
    principal = g.principal
    if not principal.is_admin and principal.sub != customer_id:
        raise Forbidden("You may act only on your own wallet.")


def require_admin():
    if not g.principal.is_admin:
        raise Forbidden("Only an admin may do this.")
