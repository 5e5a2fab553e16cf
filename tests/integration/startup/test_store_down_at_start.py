"""A store that does not answer when the app starts (SPEC §5: /health is 503 `unavailable` when the
store is down): the app still starts; /health answers 503, a request that needs the store 503
`store_unavailable`; the indexes are made by the first request once the store answers, before it
touches anything; a worker waits for the store; a command says so in one line and exits 2. The
URI's own client options win over the service's defaults."""

import socket
import threading

import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

import backend.db as store
from backend import create_app, prepare_store, prepare_store_when_up
from backend.__main__ import main
from tests.conftest import app_config
from tests.helpers import BASE, bearer
from tests.integration.support import assert_error


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_store_at_start_gives_503s_not_a_dead_process():
    uri = f"mongodb://127.0.0.1:{closed_port()}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
    app = create_app(app_config(MONGODB_URI=uri))
    client = app.test_client()
    health = client.get(f"{BASE}/health")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    body = {"customer_id": "cust_a", "amount": 10, "payment_method": "razorpay"}
    response = client.post(f"{BASE}/wallet/topup/initiate", json=body, headers=bearer("cust_a"))
    assert_error(response, 503, "store_unavailable")
    app.extensions["wallet_db"].client.close()


def store_answering(monkeypatch, answers):
    """`store.ensure_indexes` failing as a store that does not answer, then answering, as `answers`
    say call by call; the names of the databases it made the indexes of."""
    made, answers, real = [], iter(answers), store.ensure_indexes

    def ensure_indexes(db, config=None):
        if not next(answers):
            raise ServerSelectionTimeoutError("no server")
        made.append(db.name)
        real(db, config)

    monkeypatch.setattr(store, "ensure_indexes", ensure_indexes)
    return made


def test_the_first_request_once_the_store_answers_makes_the_indexes_first(monkeypatch):
    made = store_answering(monkeypatch, [False, False, True])  # down at start, at the first request, then up
    client = create_app(app_config()).test_client()
    assert client.get(f"{BASE}/health").status_code == 200  # /health reads the store itself
    assert_error(client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")), 503, "store_unavailable")
    assert client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")).status_code == 200
    assert client.get(f"{BASE}/status/cust_a", headers=bearer("cust_a")).status_code == 200
    assert len(made) == 1  # once, by the first request the store answered


def test_the_worker_and_the_commands_make_the_indexes_before_their_work(monkeypatch):
    made = store_answering(monkeypatch, [False, False, True])
    app = create_app(app_config())
    with pytest.raises(ServerSelectionTimeoutError):  # still down: a command stops here, nothing done
        prepare_store(app)
    prepare_store(app)
    prepare_store(app)
    assert len(made) == 1


def test_a_worker_waits_for_the_store_then_prepares_it(monkeypatch):
    made = store_answering(monkeypatch, [False, False, False, True])  # down at start and twice more
    app = create_app(app_config())
    assert prepare_store_when_up(app) is False  # no stop event: one try (serve, whose worker thread waits)
    assert prepare_store_when_up(app, threading.Event(), retry_seconds=0) is True
    assert len(made) == 1


def test_a_worker_stopped_while_it_waits_for_the_store_does_nothing(monkeypatch):
    made = store_answering(monkeypatch, [False, False])
    app = create_app(app_config())
    stop = threading.Event()
    stop.set()
    assert prepare_store_when_up(app, stop, retry_seconds=0) is False
    assert made == []


@pytest.mark.parametrize(
    "argv", [["recover"], ["reconcile"], ["settle", "--gateway", "razorpay", "--date", "2026-11-30"]]
)
def test_a_command_whose_store_does_not_answer_says_so_in_one_line(argv, monkeypatch, capsys):
    uri = f"mongodb://127.0.0.1:{closed_port()}/?serverSelectionTimeoutMS=300"
    monkeypatch.setattr("backend.__main__.create_app", lambda: create_app(app_config(MONGODB_URI=uri)))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == "error: the store at MONGODB_URI did not answer (ServerSelectionTimeoutError)\n"


@pytest.mark.parametrize(
    "query, seconds",
    [("", 5.0), ("?serverSelectionTimeoutMS=250", 0.25), ("?serverselectiontimeoutms=750&w=1", 0.75)],
)
def test_the_uris_own_timeouts_win_but_never_its_write_concern(query, seconds):
    uri = f"mongodb://127.0.0.1:{closed_port()}/{query}"
    database = store.connect(uri, "options_test")
    assert database.client.options.server_selection_timeout == seconds
    assert database.write_concern.document == {"w": "majority"}  # w=1 would let a fail-over undo money
    database.client.close()


def test_a_store_that_refuses_the_indexes_stops_the_start(monkeypatch):
    def refused(db, config=None):
        raise OperationFailure("Index already exists with different options", code=85)

    monkeypatch.setattr(store, "ensure_indexes", refused)
    with pytest.raises(OperationFailure):
        create_app(app_config())
