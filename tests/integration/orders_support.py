"""Customers and orders set up through the service (not over HTTP): a funded wallet, an order paid from
the wallet or at the shop's own checkout."""

from tests.helpers import unique


def funded_customer(integration, amount_minor):
    """A new customer whose wallet holds `amount_minor`, topped up through a payment order."""
    customer_id = unique("cust")
    payment_order_id = integration.initiate_wallet_topup_payment(customer_id, amount_minor)["payment_order_id"]
    integration.topups.confirm(integration.find_payment_order(payment_order_id), "pay_x", "test")
    return customer_id


def paid_order(integration, api, customer_id=None, amount_minor=3000, at_the_shop=False):
    """A paid order: from the wallet (funded first), or at the shop's own checkout."""
    customer_id = customer_id or funded_customer(integration, amount_minor + 5000)
    order_id = api.add_order(customer_id, amount_minor)
    if at_the_shop:
        api.db["orders"].update_one({"order_id": order_id}, {"$set": {"payment_status": "paid"}})
    else:
        integration.link_payment_to_order(order_id, customer_id, amount_minor)
    return customer_id, order_id
