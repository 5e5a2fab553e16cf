"""decode_token keeps a verified token for the next request with it; what may change is still checked."""

import time

import jwt
import pytest

from backend import auth
from backend.errors import Unauthorized

SECRET = "s" * 16 + "t" * 16


def token(ttl_seconds=60, **claims):
    now = int(time.time())
    return jwt.encode(
        {"sub": "cust_a", "role": "customer", "iat": now, "exp": now + ttl_seconds, **claims}, SECRET, algorithm="HS256"
    )


def test_a_token_accepted_once_is_refused_once_it_expires(monkeypatch):
    text = token(ttl_seconds=60)
    assert auth.decode_token(text, SECRET) == auth.Principal("cust_a", "customer")
    later = time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthorized) as refused:
        auth.decode_token(text, SECRET)
    assert refused.value.code == "token_expired"


def test_a_kept_token_is_checked_against_the_secret_it_was_verified_with():
    text = token()
    auth.decode_token(text, SECRET)
    with pytest.raises(Unauthorized):
        auth.decode_token(text, "another secret of at least 32 bytes!!")


def test_a_refused_token_is_not_kept_so_it_is_refused_again_with_the_same_answer():
    forged = token()[:-2] + "xx"
    for _ in range(2):
        with pytest.raises(Unauthorized) as refused:
            auth.decode_token(forged, SECRET)
        assert refused.value.code == "invalid_token"


def test_a_token_not_yet_valid_is_refused_every_time_while_it_is_not():
    early = token(nbf=int(time.time()) + 3600)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            auth.decode_token(early, SECRET)
