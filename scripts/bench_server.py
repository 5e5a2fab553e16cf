"""The servers `make bench` (scripts/bench_http.py) measures; not for anything else.

python scripts/bench_server.py serve CUSTOMERS ORDERS_PER_CUSTOMER
    the service as `python -m backend` runs it (embedded store by default): `create_app()` from the
    environment, then, before serving, ORDERS_PER_CUSTOMER pending orders of 1.00 for each of the
    customers bench_c0 .. bench_c<CUSTOMERS-1> (orders bench_o<c>_<i>) written straight into
    `app.extensions["wallet_db"]`, the way the shop writes its `orders` collection. The embedded
    store lives inside this process, so nothing outside it can add orders. Then
    `backend.__main__.serve(app)`, the very function `python -m backend` ends in: waitress with the
    same threads and request limits, and the worker thread.
python scripts/bench_server.py floor
    the floor: a Flask app with one trivial route (GET /floor) under waitress with the settings of
    `backend.__main__.serve` (threads, request limits, ident), on HOST:PORT.
gunicorn -c gunicorn.conf.py --pythonpath scripts bench_server:floor_app
    the same floor app under gunicorn with the service's gunicorn settings. Its second route, GET
    /floor/wait?ms=&pieces=, answers the same after `pieces` sleeps that add up to `ms`
    milliseconds: the floor waiting as an operation with that many store round trips waits.
"""

import os
import sys
import time

from flask import Flask, jsonify, request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER_AMOUNT_MINOR = 100  # 1.00 INR


def customer_id(index):
    return f"bench_c{index}"


def order_id(customer_index, index):
    return f"bench_o{customer_index}_{index}"


floor_app = Flask("bench_floor")


@floor_app.get("/floor")
def floor():
    return jsonify(status="ok")


@floor_app.get("/floor/wait")
def floor_waiting():
    pieces = int(request.args["pieces"])
    for _ in range(pieces):
        time.sleep(float(request.args["ms"]) / 1000 / pieces)
    return jsonify(status="ok")


def pending_orders(customers, per_customer, currency):
    """The documents the shop would write; the same fields as OrderBook.add_pending_if_absent."""
    return [
        {
            "order_id": order_id(c, i),
            "customer_id": customer_id(c),
            "amount_minor": ORDER_AMOUNT_MINOR,
            "currency": currency,
            "payment_status": "pending",
            "version": 0,
        }
        for c in range(customers)
        for i in range(per_customer)
    ]


def serve_service(customers, per_customer):
    sys.path.insert(0, ROOT)
    from backend import create_app
    from backend.__main__ import serve

    app = create_app()
    if customers * per_customer:
        app.extensions["wallet_db"]["orders"].insert_many(
            pending_orders(customers, per_customer, app.config["DEFAULT_CURRENCY"])
        )
    return serve(app)


def serve_floor():
    sys.path.insert(0, ROOT)
    import waitress

    from backend.__main__ import SERVE_THREADS, WAITRESS_BODY_BYTES_MAX, WAITRESS_HEADER_BYTES_MAX

    waitress.serve(
        floor_app,
        host=os.environ.get("HOST") or "127.0.0.1",
        port=int(os.environ.get("PORT") or 5000),
        threads=SERVE_THREADS,
        max_request_body_size=WAITRESS_BODY_BYTES_MAX,
        max_request_header_size=WAITRESS_HEADER_BYTES_MAX,
        ident="wallet",
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"] and len(sys.argv) == 4:
        sys.exit(serve_service(int(sys.argv[2]), int(sys.argv[3])))
    if sys.argv[1:] == ["floor"]:
        sys.exit(serve_floor())
    print(__doc__, file=sys.stderr)
    sys.exit(2)
