"""Demo data for the embedded default: customer `cust_demo` with a few pending orders, and the
development sign-in links and tokens `python -m backend` prints for it and for an admin."""

from .auth import issue_token
from .customers import Customers

DEMO_CUSTOMER_ID = "cust_demo"
DEMO_ADMIN_ID = "admin_demo"
DEMO_PHONE = "+919800000001"
DEMO_ORDERS = (("ord_demo_1", 25000), ("ord_demo_2", 12050), ("ord_demo_3", 99900))


def seed_demo_data(db, currency="INR"):
    """Add the demo customer and orders unless they exist (safe to run at every start)."""
    Customers(db).add_if_absent(DEMO_CUSTOMER_ID, DEMO_PHONE)
    for order_id, amount_minor in DEMO_ORDERS:  # pending orders, as the shop would write them
        db["orders"].update_one(
            {"order_id": order_id},
            {
                "$setOnInsert": {
                    "order_id": order_id,
                    "customer_id": DEMO_CUSTOMER_ID,
                    "amount_minor": amount_minor,
                    "currency": currency,
                    "payment_status": "pending",
                    "version": 0,
                }
            },
            upsert=True,
        )


def sign_in_text(config):
    """Ready sign-in links (the page takes `?token=` and keeps it) and bearer tokens for the demo
    customer and an admin (the support view, refunds), signed with the instance's JWT secret. The
    customer's link comes first: scripts and tests take the first `?token=` link as the customer's."""

    def sign(subject, role):
        return issue_token(config["JWT_SECRET"], subject, role, algorithm=config["JWT_ALGORITHM"])

    base_url = config["PUBLIC_BASE_URL"]
    customer_token, admin_token = sign(DEMO_CUSTOMER_ID, "customer"), sign(DEMO_ADMIN_ID, "admin")
    return (
        f"Sign in as the demo customer {DEMO_CUSTOMER_ID}: {base_url}/?token={customer_token}\n"
        f"Sign in as the demo admin {DEMO_ADMIN_ID} (support view, refunds): {base_url}/?token={admin_token}\n"
        f"Customer token (Authorization: Bearer ...): {customer_token}\n"
        f"Admin token (refunds): {admin_token}"
    )
