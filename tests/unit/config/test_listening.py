"""listening_sockets: HOST:PORT taken first, or one line saying why not and what to set."""

import socket

import pytest

from backend.listening import PortUnavailable, listening_sockets


def test_a_free_port_is_bound_and_listening_at_once():
    sockets = listening_sockets("127.0.0.1", "0")
    try:
        port = sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # accepted into the backlog
            pass
    finally:
        for sock in sockets:
            sock.close()


def test_a_port_in_use_is_named_with_what_to_set():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailable) as refused:
            listening_sockets("127.0.0.1", str(port))
    assert str(refused.value) == f"port {port} on 127.0.0.1 is in use: set PORT (or HOST) to another"


@pytest.mark.parametrize(
    "host, port, reason",
    [("127.0.0.1", "five", "invalid literal"), ("192.0.2.1", "5000", "Cannot assign requested address")],
)
def test_an_address_that_cannot_be_listened_on_is_named_with_the_reason(host, port, reason):
    with pytest.raises(PortUnavailable) as refused:
        listening_sockets(host, port)
    message = str(refused.value)
    assert message.startswith(f"cannot listen on {host}:{port} (") and reason in message
    assert message.endswith("): set PORT (or HOST) to another")
