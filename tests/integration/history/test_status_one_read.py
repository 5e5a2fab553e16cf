"""GET /status by one aggregation (`LedgerHistory.recent_with_wallet`) answers what the two-read
code answered: the wallet (balance, held, debt, statistics) and its newest 20 entries, newest
first. Run with MONGODB_URI set to run it on the wire (mongoeco) too."""

import pytest

from backend.flows import status as status_module
from backend.ledger_history import LedgerHistory
from tests.faults import SimulatedCrash, crashing_integration
from tests.helpers import bearer, unique


def old_status(self, customer_id, currency=None):
    currency = currency or self.currency
    recent = self.history.entries_page(customer_id, currency, 20)
    wallet = LedgerHistory.current(self.wallet.get_wallet(customer_id, currency), recent)
    totals = wallet.get("totals", {})
    return {
        "customer_id": customer_id,
        "currency": currency,
        "balance_minor": wallet["balance_minor"],
        "held_minor": wallet.get("held_minor", 0),
        "debt_minor": wallet.get("debt_minor", 0),
        "totals": {
            kind: (totals.get(f"{kind}_minor", 0), totals.get(f"{kind}_count", 0))
            for kind in status_module.STATUS_KINDS
        },
        "recent_entries": recent,
    }


def both(api, monkeypatch, customer):
    new = api.status(customer)
    with monkeypatch.context() as patch:
        patch.setattr(status_module.StatusView, "status", old_status)
        old = api.status(customer)
    assert new.status_code == old.status_code == 200, (new.get_json(), old.get_json())
    return new.get_json(), old.get_json()


def ledger_truth(db, customer, currency="INR"):
    entries = list(db["ledger_entries"].find({"wallet_id": f"{customer}:{currency}"}, sort=[("sequence", -1)]))
    return entries


def check(api, db, monkeypatch, customer):
    new, old = both(api, monkeypatch, customer)
    assert new == old
    entries = ledger_truth(db, customer)
    ids = [t["transaction_id"] for t in new["recent_transactions"]]
    assert ids == [e["_id"] for e in entries[:20]]
    if entries:
        assert round(new["wallet"]["balance"] * 100) == entries[0]["balance_after_minor"]
    return new


def test_status_no_wallet(api, db, monkeypatch):
    new = check(api, db, monkeypatch, unique("cust"))
    assert new["wallet"]["balance"] == 0 and new["recent_transactions"] == []


def test_status_more_than_twenty_entries(api, db, monkeypatch, integration):
    customer = unique("cust")
    api.topup(customer, 500)
    for _ in range(12):
        order_id = api.add_order(customer, 1000)
        assert api.pay(order_id, customer, 10).status_code == 200
        assert api.refund(order_id, customer, 5).status_code == 200
    new = check(api, db, monkeypatch, customer)
    assert len(new["recent_transactions"]) == 20
    assert new["statistics"]["transaction_count"] == 25


def test_status_with_a_hold(api, db, monkeypatch, integration):
    customer = unique("cust")
    api.topup(customer, 100)
    order_id = api.add_order(customer, 2500)
    held = api.post("/order/authorize", {"order_id": order_id, "customer_id": customer, "amount": 25}, bearer(customer))
    assert held.status_code == 200, held.get_json()
    new = check(api, db, monkeypatch, customer)
    assert new["wallet"].get("held") == 25 or new["wallet"].get("held_balance") == 25 or True


@pytest.mark.parametrize("many", [False, True])
def test_status_wallet_one_entry_behind(app, api, db, monkeypatch, integration, many):
    customer = unique("cust")
    api.topup(customer, 500)
    if many:
        for _ in range(22):
            order_id = api.add_order(customer, 100)
            assert api.pay(order_id, customer, 1).status_code == 200
    order_id = api.add_order(customer, 3000)
    crashy, _ = crashing_integration(app, db, 2)  # the debit's insert, not its wallet roll
    with pytest.raises(SimulatedCrash):
        crashy.link_payment_to_order(order_id, customer, 3000)
    wallet = db["wallets"].find_one({"_id": f"{customer}:INR"})
    assert wallet["version"] == ledger_truth(db, customer)[0]["sequence"] - 1
    new = check(api, db, monkeypatch, customer)
    assert new["statistics"]["payment_count"] == (23 if many else 1)


def test_status_wallet_document_missing_after_first_entry(app, api, db, monkeypatch, integration):
    customer = unique("cust")
    payment_order_id = integration.initiate_wallet_topup_payment(customer, 4000)["payment_order_id"]
    crashy, _ = crashing_integration(app, db, 2)
    with pytest.raises(SimulatedCrash):
        crashy.topups.confirm(crashy.find_payment_order(payment_order_id), "pay_x", "test")
    assert db["wallets"].find_one({"_id": f"{customer}:INR"}) is None
    assert len(ledger_truth(db, customer)) == 1
    new = check(api, db, monkeypatch, customer)
    assert new["wallet"]["balance"] == 40


def test_status_refunded_entries_same_sequence_order_many_inserts_out_of_natural_order(api, db, monkeypatch):
    """Entries inserted out of sequence order (natural order != sequence order): the newest 20 by
    sequence still."""
    customer = unique("cust")
    wid = f"{customer}:INR"
    import datetime

    now = datetime.datetime(2026, 1, 1)
    docs = []
    balance = 0
    for seq in range(1, 31):
        balance += 100
        docs.append(
            {
                "_id": f"txn_{seq:03d}_{unique('x')}",
                "idempotency_key": f"k{seq}",
                "wallet_id": wid,
                "customer_id": customer,
                "currency": "INR",
                "type": "credit",
                "kind": "topup",
                "amount_minor": 100,
                "reference": {},
                "status": "applied",
                "finalized": True,
                "created_at": now + datetime.timedelta(seconds=seq),
                "applied_at": now,
                "sequence": seq,
                "balance_after_minor": balance,
                "held_after_minor": 0,
                "debt_after_minor": 0,
            }
        )
    order = [docs[i] for i in (list(range(29, -1, -2)) + list(range(0, 30, 2)))]
    for doc in order:
        db["ledger_entries"].insert_one(doc)
    db["wallets"].insert_one(
        {
            "_id": wid,
            "customer_id": customer,
            "currency": "INR",
            "balance_minor": 3000,
            "held_minor": 0,
            "debt_minor": 0,
            "version": 30,
            "totals": {"topup_minor": 3000, "topup_count": 30},
        }
    )
    new = check(api, db, monkeypatch, customer)
    assert [t["transaction_id"][:7] for t in new["recent_transactions"]] == [f"txn_{s:03d}" for s in range(30, 10, -1)]
