"""The embedded (mongomock) store: every app starts with its own empty store."""

from backend import create_app
from tests.helpers import TEST_JWT_SECRET, Api


def embedded_app():
    return create_app({"TESTING": True, "JWT_SECRET": TEST_JWT_SECRET, "SEED_DEMO_DATA": "false", "MONGODB_URI": ""})


def test_two_apps_do_not_share_the_embedded_store():
    first, second = embedded_app(), embedded_app()
    Api(first.test_client(), first.extensions["wallet_db"]).topup("cust_shared", "10")
    assert Api(second.test_client(), second.extensions["wallet_db"]).balance("cust_shared") == 0


def test_under_the_test_client_the_simulator_posts_its_webhook_through_the_app():
    app = embedded_app()
    api = Api(app.test_client(), app.extensions["wallet_db"])
    payment_order_id = api.initiate("cust_sim", "7").get_json()["payment_order_id"]
    assert api.client.post(f"/simulator/razorpay/checkout/{payment_order_id}/pay").status_code == 303
    assert api.balance("cust_sim") == 7
