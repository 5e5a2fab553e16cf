"""JWT bearer authentication (HS256, `sub`/`role`/`exp`) and the customer/admin rules of docs/contract.md."""

import contextlib
import datetime
import functools
import math
import re
import time
from dataclasses import dataclass

import jwt
from flask import current_app, g, has_request_context, request

from .errors import Forbidden, Unauthorized
from .validation import ID_PATTERN

ROLES = ("customer", "admin")
ALLOWED_ALGORITHMS = ("HS256", "HS384", "HS512")
CLOCK_SKEW_SECONDS = 30  # leeway for `iat` / `nbf` in the future and for the lifetime bound
LIFETIME_SECONDS_MAX_DEFAULT = 24 * 3600
# `sub`: a customer's is an id (ID_PATTERN); an admin's may also be an e-mail address.
ADMIN_SUB_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+-]{1,128}\Z")
VERIFIED_TOKENS_MAX = 4096


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str

    @property
    def is_admin(self):
        return self.role == "admin"


def issue_token(secret, sub, role, ttl_seconds=24 * 3600, algorithm="HS256"):
    now = datetime.datetime.now(datetime.UTC)
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + datetime.timedelta(seconds=ttl_seconds)}
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(token, secret, algorithm="HS256", lifetime_seconds_max=LIFETIME_SECONDS_MAX_DEFAULT):
    """The token's principal; `Unauthorized` for anything but a valid, unexpired token whose `exp`
    is a number at most `lifetime_seconds_max` ahead (None: any time ahead) and whose `iat`, if any,
    is not in the future."""
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthorized("Token algorithm not allowed.", code="invalid_token")
    principal, exp = _verified(token, secret, algorithm)
    check_expiry(exp, lifetime_seconds_max)
    return principal


@functools.lru_cache(maxsize=VERIFIED_TOKENS_MAX)
def _verified(token, secret, algorithm):
    """(principal, exp) of a token whose signature and claims check out. Kept for the next request
    with the same token (verifying the signature is most of an authenticated read's work): what
    holds once holds later — the signature, `sub`, `role`, an `iat`/`nbf` already past — except the
    expiry, which `decode_token` checks every time. Refusals are not kept."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "sub", "role"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    sub, role = claims.get("sub"), claims.get("role")
    pattern = ADMIN_SUB_PATTERN if role == "admin" else ID_PATTERN
    if not isinstance(sub, str) or not pattern.match(sub) or role not in ROLES:
        raise Unauthorized("The token's claims are not valid.", code="invalid_token")
    return Principal(sub, role), claims["exp"]


def _finite(number):
    """Whether `number` is a finite number a float can hold (an integer past 1e308 cannot)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def check_expiry(exp, lifetime_seconds_max):
    """`exp` must be a number of seconds, not past, and not further ahead than the lifetime bound (if any)."""
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not _finite(exp):
        raise Unauthorized("The token's `exp` must be a number.", code="invalid_token")
    now = time.time()
    if exp <= now:
        raise Unauthorized("Your sign-in has expired; sign in again.", code="token_expired")
    if lifetime_seconds_max is not None and exp > now + lifetime_seconds_max + CLOCK_SKEW_SECONDS:
        raise Unauthorized("The token lives longer than this service allows.", code="invalid_token")


def require_auth(view):
    """Reject requests without a valid bearer token; put the `Principal` on `g.principal`."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Sign-in required: send `Authorization: Bearer <token>`.")
        config = current_app.config
        g.principal = decode_token(
            token.strip(), config["JWT_SECRET"], config["JWT_ALGORITHM"], config["JWT_MAX_LIFETIME_SECONDS"]
        )
        return view(*args, **kwargs)

    return wrapped


def authorize_customer(customer_id):
    """A customer acts only on its own wallet; an admin on any."""
    principal = g.principal
    if not principal.is_admin and principal.sub != customer_id:
        raise Forbidden("You may act only on your own wallet.")


def current_actor():
    """Who acts in the request being served: `<role>:<sub>` of its token (an admin refunding, say),
    or None: outside a request, or in one no token authenticated (a webhook)."""
    if not has_request_context():
        return None
    principal = g.get("principal")
    return f"{principal.role}:{principal.sub}" if principal is not None else None


@contextlib.contextmanager
def acting_as_nobody():
    """What runs inside is no token's doing: a simulator's webhook handled within the request that
    made it (inline delivery) is the gateway's, not the customer's or admin's (`current_actor`)."""
    principal = g.pop("principal", None) if has_request_context() else None
    try:
        yield
    finally:
        if principal is not None:
            g.principal = principal


def require_admin():
    if not g.principal.is_admin:
        raise Forbidden("Only an admin may do this.")
