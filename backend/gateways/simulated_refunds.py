"""How a simulated gateway keeps a refund of one of its payments without refunding more than the
payment. A refund that cannot fit beside those kept is refused at once; one that can is kept, then
checked against every refund of the payment kept so far, itself included, and taken out again
beyond the payment. Kept first, a repeat of its request collides with it on the collection's unique
key (the same refund answers both); of two refunds at once that together pass the payment, the one
that checks last is refused, or both are when each sees the other: never both kept."""

from pymongo.errors import DuplicateKeyError


def keep_within(refunds, document, keys, payment_query, fields, limit_minor, refused):
    """Insert `document` into `refunds`. With a `limit_minor` (the payment's amount, for a payment the
    simulator made), the refunds matching `payment_query` (booked ones too; those whose status is
    `fields[1]` aside) count, in their field `fields[0]`: beyond the limit `refused(what the others
    took)` is raised, before the insert or after it (deleting it again). DuplicateKeyError, nothing
    kept, for a repeat of a refund kept under the same `keys` (a query on its unique key)."""
    amount_field, failed_status = fields

    def kept_minor():
        return sum(r[amount_field] for r in refunds.find(payment_query) if r.get("status") != failed_status)

    if limit_minor is not None:
        others_minor = kept_minor()
        if others_minor + document[amount_field] > limit_minor:
            if refunds.find_one(keys) is not None:
                raise DuplicateKeyError("a repeat of a refund kept already")
            raise refused(others_minor)
    refunds.insert_one(document)
    if limit_minor is None:
        return
    total_minor = kept_minor()
    if total_minor > limit_minor:
        refunds.delete_one({"_id": document["_id"]})
        raise refused(total_minor - document[amount_field])
