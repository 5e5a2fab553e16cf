"""Demo data for the embedded default: customer `cust_demo` with a few pending orders."""
DEMO_CUSTOMER_ID = "cust_demo"
DEMO_PHONE = "+919800000001"
DEMO_ORDERS = (("ord_demo_1", 25000), ("ord_demo_2", 12050), ("ord_demo_3", 99900))


def seed_demo_data(db, currency="INR"):
    """Insert the demo customer and orders unless they exist (safe to run at every start)."""
    db["customers"].update_one({"customer_id": DEMO_CUSTOMER_ID},
                               {"$setOnInsert": {"customer_id": DEMO_CUSTOMER_ID, "phone": DEMO_PHONE}},
                               upsert=True)
    for order_id, amount_minor in DEMO_ORDERS:
        db["orders"].update_one(
            {"order_id": order_id},
            {"$setOnInsert": {"order_id": order_id, "customer_id": DEMO_CUSTOMER_ID,
                              "amount_minor": amount_minor, "currency": currency,
                              "payment_status": "pending", "version": 0}},
            upsert=True,
        )
