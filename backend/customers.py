"""Customers (`customers`): the contact details the service needs, `{customer_id, phone}`."""


class Customers:
    def __init__(self, db):
        self.collection = db["customers"]

    def phone(self, customer_id):
        """The customer's WhatsApp number, or None when none is on file."""
        customer = self.collection.find_one({"customer_id": customer_id}) or {}
        return customer.get("phone")

    def add_if_absent(self, customer_id, phone):
        self.collection.update_one(
            {"customer_id": customer_id}, {"$setOnInsert": {"customer_id": customer_id, "phone": phone}}, upsert=True
        )
