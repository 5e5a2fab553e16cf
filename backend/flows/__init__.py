"""The service's flows, one module each, each taking the repositories it needs; the façade
`backend.wallet_payment_integration.WalletPaymentIntegration` wires them under the contract's names.

- `topups`: initiate a top-up, verify the customer's return, credit a confirmed payment once;
- `webhooks`: a gateway's webhook verified, de-duplicated and applied;
- `payments`: pay an order from the wallet (one debit per life of the order), give back what cannot pay;
- `refunds`: refund a paid order into the wallet, never beyond what its life was paid;
- `followups`: what follows each ledger entry, finished by the worker and after a crash (recovery);
- `reconcile`: the ledger against the wallets and the orders (reads only);
- `status`: a wallet's figures and newest entries (minor units; the HTTP edge converts).
Amounts are integer minor units throughout.
"""
