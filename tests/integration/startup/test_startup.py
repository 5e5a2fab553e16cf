"""`create_app` only wires: a web process (gunicorn's `backend.wsgi`) and `python -m backend reconcile`
write nothing to the store but its indexes; `prepare_store` (what `python -m backend` serve and the
worker run first) seeds the demo data and runs recovery."""

import pytest

import backend.db as store
from backend import create_app, prepare_store
from backend.__main__ import main
from tests.conftest import app_config
from tests.helpers import snapshot


@pytest.fixture
def interrupted_store(app, db, integration, monkeypatch):
    """The test app's store with a top-up interrupted after its ledger insert (recovery would finish
    it), handed to every app built next (as one MongoDB server is to every process)."""
    payment_order_id = integration.initiate_wallet_topup_payment("cust_start", 300)["payment_order_id"]
    with monkeypatch.context() as dying:
        dying.setattr(integration.wallet, "roll", lambda entry: None)
        dying.setattr(integration.payment_orders, "mark_paid", lambda *args: None)
        integration.topups.confirm(integration.find_payment_order(payment_order_id), "pay_start", "test")
    monkeypatch.setattr(store, "connect", lambda uri, name: db)
    return db


def everything(db):
    """Every collection's documents, the audit log too (recovery audits what it finished)."""
    return {name: sorted(map(repr, db[name].find({}))) for name in sorted(db.list_collection_names())}


def test_building_the_app_as_gunicorn_does_runs_no_recovery_and_seeds_nothing(interrupted_store):
    before = everything(interrupted_store)
    app = create_app(app_config(SEED_DEMO_DATA="true", RECOVER_ON_START="true"))
    assert app.extensions["wallet_db"] is interrupted_store
    assert everything(interrupted_store) == before


def test_the_wsgi_entry_point_builds_the_app_without_recovery(interrupted_store, monkeypatch):
    for name, value in app_config(
        SEED_DEMO_DATA="true", RECOVER_ON_START="true", MONGODB_URI="mongodb://shared:27017"
    ).items():
        monkeypatch.setenv(name, str(value))
    before = everything(interrupted_store)
    from backend.wsgi import load_app  # gunicorn's `backend.wsgi:app` is `load_app()`

    assert load_app().extensions["wallet_db"] is interrupted_store
    assert everything(interrupted_store) == before


def test_reconcile_only_reads(interrupted_store, capsys):
    interrupted_store["wallets"].update_one({}, {"$inc": {"balance_minor": 0}})
    before = everything(interrupted_store)
    assert main(["reconcile"]) == 0
    assert "no drift" in capsys.readouterr().out
    assert everything(interrupted_store) == before


def test_prepare_store_seeds_the_demo_data_and_finishes_what_was_interrupted(interrupted_store):
    app = create_app(app_config(SEED_DEMO_DATA="true", RECOVER_ON_START="true"))
    before = snapshot(interrupted_store)
    prepare_store(app)
    assert snapshot(interrupted_store) != before
    assert interrupted_store["orders"].count_documents({"customer_id": "cust_demo"}) == 3
    assert interrupted_store["wallets"].find_one({"customer_id": "cust_start"})["balance_minor"] == 300
    assert app.extensions["integration"].reconcile() == []
