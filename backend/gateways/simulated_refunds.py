"""How a simulated gateway keeps a refund of one of its payments without refunding more than the
payment: the refund is kept first, then checked against every refund of the payment kept so far,
itself included. Kept first, a repeat of its request collides with it on the collection's unique key
(the same refund answers both); of two refunds at once that together pass the payment, the one that
checks last is refused, or both are when each sees the other: never both kept."""


def keep_within(refunds, document, payment_query, fields, limit_minor, refused):
    """Insert `document` into `refunds`; then, with a `limit_minor` (the payment's amount, for a
    payment the simulator made), sum the refunds matching `payment_query` (booked ones too), those
    whose status is `fields[1]` aside, in their field `fields[0]`. Beyond the limit it is deleted
    again and `refused(what the others took)` raised. DuplicateKeyError, nothing kept, for a repeat of
    its key."""
    amount_field, failed_status = fields
    refunds.insert_one(document)
    if limit_minor is None:
        return
    kept_minor = sum(r[amount_field] for r in refunds.find(payment_query) if r.get("status") != failed_status)
    if kept_minor > limit_minor:
        refunds.delete_one({"_id": document["_id"]})
        raise refused(kept_minor - document[amount_field])
