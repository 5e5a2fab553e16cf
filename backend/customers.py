"""Customers (`customers`): the contact details the service needs, `{customer_id, phone}`."""

import re

PHONE_PATTERN = re.compile(r"^\+?[0-9]{6,20}\Z")  # WhatsApp's: the country code first, digits only


def whatsapp_number(phone):
    """`phone` as a number WhatsApp takes, or None: one stored as an integer is taken as its digits;
    anything else that is not 6–20 digits (after an optional `+`) is no number."""
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    if isinstance(phone, str) and PHONE_PATTERN.match(phone.strip()):
        return phone.strip()
    return None


class Customers:
    def __init__(self, db):
        self.collection = db["customers"]

    def phones(self, customer_ids):
        """{customer_id: WhatsApp number} of those of `customer_ids` with a usable one on file (one query)."""
        found = self.collection.find({"customer_id": {"$in": list(customer_ids)}}, {"customer_id": 1, "phone": 1})
        numbers = {customer["customer_id"]: whatsapp_number(customer.get("phone")) for customer in found}
        return {customer_id: number for customer_id, number in numbers.items() if number}

    def add_if_absent(self, customer_id, phone):
        self.collection.update_one(
            {"customer_id": customer_id}, {"$setOnInsert": {"customer_id": customer_id, "phone": phone}}, upsert=True
        )
