"""Take HOST:PORT before anything else: `python -m backend` binds its listening sockets first, so a
port in use is said in one line before any seeding, sign-in link, token or worker thread."""

import errno
import socket

from waitress.adjustments import Adjustments


class PortUnavailable(Exception):
    """HOST:PORT cannot be listened on; the message says which and what to set."""


def listening_sockets(host, port):
    """Sockets bound to and listening on every address HOST:PORT names, resolved as waitress resolves
    them (hand them to `waitress.serve(sockets=...)`); PortUnavailable if any cannot be had."""
    try:
        addresses = Adjustments(host=host, port=port).listen
    except ValueError as error:  # a HOST that does not resolve, a PORT that is not a number
        reason = str(error).rstrip(".")
        raise PortUnavailable(f"cannot listen on {host}:{port} ({reason}): set PORT (or HOST) to another") from None
    sockets = []
    try:
        for family, kind, protocol, address in addresses:
            sock = socket.socket(family, kind, protocol)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen()  # at once: from here no other process can take the port
    except OSError as error:
        for sock in sockets:
            sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortUnavailable(f"port {port} on {host} is in use: set PORT (or HOST) to another") from None
        raise PortUnavailable(
            f"cannot listen on {host}:{port} ({error.strerror}): set PORT (or HOST) to another"
        ) from None
    return sockets
