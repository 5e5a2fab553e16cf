// The client's settlement calls (SPEC §11, admin only), spread into integrationService's methods:
// what settling a gateway's day found, settling a day now, and the day's exceptions as CSV.
// `gateway`: a gateway with settlement reports (400 for another); `date`: the report's day, YYYY-MM-DD.

// Settling reads the gateway's whole report for the day (pages, each retried): longer than a click.
export const SETTLE_TIMEOUT_MS = 120_000;

// `send(config)` resolves to a response's JSON body; `download(config, fallbackName)` to
// {text, filename} (the API's file name, else `fallbackName`). Both reject with the client's errors.
export function settlementCalls({ send, download }) {
  const day = (gateway, date) => ({ gateway, date });
  return {
    // Admin: what settling the day found: {gateway, date, currency, captured, refunded, fees, tax,
    // settled, matched, exceptions: [{kind, status, payment_id, payment_order_id, gateway_amount,
    // ledger_amount}]}; 404 not_settled before the day was settled.
    getSettlement(gateway, date) {
      return send({ method: 'get', url: '/settlements', params: day(gateway, date) });
    },
    // Admin: settle the day now (again: nothing changes that was right); the same shape.
    settleDay(gateway, date) {
      return send({ method: 'post', url: '/settlements', data: day(gateway, date), timeout: SETTLE_TIMEOUT_MS });
    },
    // Admin: the day's exceptions as CSV: {text, filename}; 404 not_settled before the day was settled.
    downloadSettlementCsv(gateway, date) {
      return download(
        { url: '/settlements', params: { ...day(gateway, date), format: 'csv' } },
        `settlement-${gateway}-${date}.csv`,
      );
    },
  };
}
