"""A customer's wallets read by the same command as the first document a money movement reads (an
order, a payment order), so that the ledger's append reads no wallet of its own (`WalletService.append`'s
`wallet`; docs/ledger.md, "What follows an entry")."""

from .wallet_figures import EMPTY_WALLET
from .wallet_service import wallet_id

# The aggregation stage that reads them: all the customer's wallets, by the document's `customer_id`.
CUSTOMER_WALLETS = {
    "$lookup": {"from": "wallets", "localField": "customer_id", "foreignField": "customer_id", "as": "wallets"}
}


def customer_wallets(document):
    """The wallets `CUSTOMER_WALLETS` read with `document` (taken off it), by id: all the customer's,
    so one missing is one that does not exist."""
    return {wallet["_id"]: wallet for wallet in document.pop("wallets")}


def read_wallet(wallets, customer_id, currency):
    """The wallet of `customer_id` in `currency` among `wallets` (`customer_wallets`), as `append`
    takes it: `EMPTY_WALLET` when it does not exist."""
    return wallets.get(wallet_id(customer_id, currency), EMPTY_WALLET)


def lookup_value(value, collection, field, as_name):
    """The aggregation stages that read, into `as_name`, the documents of `collection` whose `field`
    holds `value` (a text the caller has; an array `field` holds it when any item is it); none when
    `value` is not a text, so a null is never looked up."""
    if not isinstance(value, str) or not value:
        return []
    local = value_field(as_name)
    lookup = {"from": collection, "localField": local, "foreignField": field, "as": as_name}
    return [{"$addFields": {local: {"$literal": value}}}, {"$lookup": lookup}]


def value_field(as_name):
    """The field in which `lookup_value` puts the value it looks up into `as_name`."""
    return f"{as_name}_value"


def with_customer_wallets(collection, query, stages=()):
    """The first document of `collection` matching `query` with, by the same aggregation, its
    customer's wallets (`customer_wallets` takes them) and what `stages` read; None when none matches."""
    return next(collection.aggregate([{"$match": query}, {"$limit": 1}, CUSTOMER_WALLETS, *stages]), None)
