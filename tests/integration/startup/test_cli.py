"""`python -m backend recover|reconcile` on the app's own store."""

import pytest

from backend.__main__ import main
from tests.faults import crashing_integration


@pytest.fixture
def cli_env(app, monkeypatch):
    """The CLI builds its app with `create_app`: hand it the test's app (and so its store)."""
    monkeypatch.setattr("backend.__main__.create_app", lambda overrides=None: app)


def test_reconcile_exits_zero_without_drift(cli_env, api, capsys):
    api.topup("cust_cli", "12")
    assert main(["reconcile"]) == 0
    assert "no drift" in capsys.readouterr().out


def test_reconcile_exits_nonzero_and_prints_the_drift(cli_env, api, db, capsys):
    api.topup("cust_cli", "12")
    db["wallets"].update_one({"customer_id": "cust_cli"}, {"$inc": {"balance_minor": 5}})
    assert main(["reconcile"]) == 1
    out = capsys.readouterr().out
    assert '"wallet_id": "cust_cli:INR"' in out and '"balance_minor": 1205' in out


def test_recover_finishes_a_top_up_interrupted_after_its_first_write(cli_env, integration, db, capsys, monkeypatch):
    payment_order_id = integration.initiate_wallet_topup_payment("cust_cli", 300)["payment_order_id"]
    with monkeypatch.context() as interrupted:  # the process dies right after the ledger insert
        interrupted.setattr(integration.wallet, "roll", lambda entry: None)
        interrupted.setattr(integration.payment_orders, "mark_paid", lambda *args: None)
        integration.topups.confirm(integration.find_payment_order(payment_order_id), "pay_cli", "test")
    assert integration.wallet.get_wallet("cust_cli", "INR")["balance_minor"] == 0
    assert main(["recover", "--grace", "0"]) == 0
    assert '"interrupted": 1' in capsys.readouterr().out
    assert integration.wallet.get_wallet("cust_cli", "INR")["balance_minor"] == 300
    assert db["payment_orders"].find_one({"_id": payment_order_id})["status"] == "paid"


def undecided_payment(app, api, db, customer_id):
    """A payment whose request stopped after its debit, before deciding it (as a live one is, mid-way)."""
    api.topup(customer_id, "50")
    order_id = api.add_order(customer_id, 2000)
    try:
        crashing_integration(app, db, 3)[0].link_payment_to_order(order_id, customer_id, 2000)
    except Exception:
        pass
    debit = db["ledger_entries"].find_one({"kind": "payment", "reference.order_id": order_id})
    assert debit is not None and debit.get("settled") is None
    return debit


def test_recover_leaves_a_payment_younger_than_the_grace_to_its_request(cli_env, app, api, db, capsys):
    """A live request may still be deciding it: deciding it too could leave its order paid by a debit
    given back once the shop re-issues the order between the two (docs/ledger.md)."""
    debit = undecided_payment(app, api, db, "cust_cli")
    assert main(["recover"]) == 0
    assert db["ledger_entries"].find_one({"_id": debit["_id"]}).get("settled") is None


def test_recover_with_a_grace_of_0_decides_it_at_once(cli_env, app, api, db, capsys):
    debit = undecided_payment(app, api, db, "cust_cli")
    assert main(["recover", "--grace", "0"]) == 0
    assert db["ledger_entries"].find_one({"_id": debit["_id"]})["settled"] == "paid"


@pytest.mark.parametrize("grace", ["-1", "nan", "inf", "soon", "604801"])
def test_recover_refuses_a_grace_that_is_not_seconds(grace, nothing_built, capsys):
    assert main(["recover", "--grace", grace]) == 2
    assert "argument --grace: a number of seconds from 0 to 604800" in capsys.readouterr().err


@pytest.fixture
def nothing_built(monkeypatch):
    """Fail if the CLI builds an app (and so reaches a store, seeds, recovers or serves)."""

    def refuse(*args, **kwargs):
        raise AssertionError("create_app was called")

    monkeypatch.setattr("backend.__main__.create_app", refuse)


@pytest.mark.parametrize("command", ["serve", "worker", "recover", "reconcile"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_a_commands_help_prints_its_usage_and_builds_nothing(command, flag, nothing_built, capsys):
    assert main([command, flag]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"usage: python -m backend {command}") and captured.err == ""


@pytest.mark.parametrize("argv", [["frobnicate"], ["--frobnicate"], ["recover", "--all"], ["reconcile", "now"]])
def test_unknown_command_or_option_is_refused_with_the_usage(argv, nothing_built, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("usage: python -m backend")


def test_production_with_unsafe_settings_refuses_to_start(monkeypatch, capsys):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert main(["serve"]) == 2
    assert "Refusing to start with APP_ENV=production" in capsys.readouterr().err


@pytest.mark.parametrize("command, summary", [("reconcile", "reconcile: no drift"), ("recover", "recover: done")])
def test_on_the_embedded_store_the_cli_says_it_looked_at_a_new_empty_store(command, summary, monkeypatch, capsys):
    """Issue 11, item 10: a real `create_app` without MONGODB_URI (no test app handed in)."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("RECOVER_ON_START", "false")
    assert main([command]) == 0
    captured = capsys.readouterr()
    assert "NEW, EMPTY in-process store" in captured.err and "not at the data of a running server" in captured.err
    assert "MONGODB_URI" in captured.err
    assert f"{summary} (in this new, empty embedded store only)" in captured.out


def test_with_a_test_apps_mongodb_store_no_embedded_note(app, cli_env, capsys):
    if app.config["EMBEDDED_STORE"]:
        pytest.skip("this run uses the embedded store (set MONGODB_URI to run it)")
    assert main(["reconcile"]) == 0
    captured = capsys.readouterr()
    assert "NEW, EMPTY" not in captured.err and captured.out.strip().endswith("reconcile: no drift")
