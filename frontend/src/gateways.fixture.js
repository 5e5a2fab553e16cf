// For the tests: GET /gateways's gateways as a server offering the three built-in gateways, with its
// default SUPPORTED_CURRENCIES (INR), describes them (tests/integration/gateways/test_gateways_endpoint.py
// checks the server's side); a fourth gateway the page has never heard of, described the same way; and
// the whole answer of a server keeping wallets in INR and USD (Razorpay takes rupees only).
export const BUILT_IN = [
  {
    name: 'razorpay',
    label: 'Razorpay',
    currencies: ['INR'],
    checkout_return: {
      order_id: 'razorpay_order_id',
      match: ['razorpay_order_id', 'razorpay_payment_id'],
      verify_fields: { payment_id: 'razorpay_payment_id', signature: 'razorpay_signature' },
      confirm: 'verify',
      pay_again_charges: true,
    },
    settlement: true,
  },
  {
    name: 'paypal',
    label: 'PayPal',
    currencies: ['INR'],
    checkout_return: { order_id: 'paypal_order_id', match: ['paypal_order_id'], verify_fields: {}, confirm: 'verify', pay_again_charges: false },
    settlement: true,
  },
  {
    name: 'google_pay',
    label: 'Google Pay',
    currencies: ['INR'],
    checkout_return: { order_id: 'payment_order_id', match: [], verify_fields: {}, confirm: 'await_credit', pay_again_charges: false },
    settlement: false,
  },
];

export const FOURTH = {
  name: 'upi_direct',
  label: 'UPI Direct',
  currencies: ['INR'],
  checkout_return: {
    order_id: 'upi_ref',
    match: ['upi_ref'],
    verify_fields: { payment_ref: 'upi_txn', proof: 'upi_proof' },
    confirm: 'verify',
    pay_again_charges: false,
  },
};

const TAKES = { razorpay: ['INR'], paypal: ['INR', 'USD'], google_pay: ['INR', 'USD'] };
export const INR_AND_USD = {
  success: true,
  currencies: ['INR', 'USD'],
  gateways: BUILT_IN.map((g) => ({ ...g, currencies: TAKES[g.name] })),
};
