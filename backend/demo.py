"""Demo data for the embedded default: customer `cust_demo` with a few pending orders."""
from .customers import Customers
from .orders import OrderBook

DEMO_CUSTOMER_ID = "cust_demo"
DEMO_PHONE = "+919800000001"
DEMO_ORDERS = (("ord_demo_1", 25000), ("ord_demo_2", 12050), ("ord_demo_3", 99900))


def seed_demo_data(db, currency="INR"):
    """Add the demo customer and orders unless they exist (safe to run at every start)."""
    Customers(db).add_if_absent(DEMO_CUSTOMER_ID, DEMO_PHONE)
    orders = OrderBook(db)
    for order_id, amount_minor in DEMO_ORDERS:
        orders.add_pending_if_absent(order_id, DEMO_CUSTOMER_ID, amount_minor, currency)
