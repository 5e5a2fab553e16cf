"""Customers (`customers`): the contact details the service needs, `{customer_id, phone}`."""


class Customers:
    def __init__(self, db):
        self.collection = db["customers"]

    def phones(self, customer_ids):
        """{customer_id: WhatsApp number} of those of `customer_ids` with one on file (one query)."""
        found = self.collection.find({"customer_id": {"$in": list(customer_ids)}}, {"customer_id": 1, "phone": 1})
        return {customer["customer_id"]: customer["phone"] for customer in found if customer.get("phone")}

    def add_if_absent(self, customer_id, phone):
        self.collection.update_one(
            {"customer_id": customer_id}, {"$setOnInsert": {"customer_id": customer_id, "phone": phone}}, upsert=True
        )
