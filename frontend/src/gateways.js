// The payment gateways as the server describes them (GET /gateways): which to offer, in which order,
// under which label, and how to read the customer's return from each one's checkout. The page
// knows no gateway by name: a gateway the server adds is offered and read the same way.
import integrationService from './services/integrationService.js';

const CONFIRM_MODES = ['verify', 'await_credit'];
const isText = (value) => typeof value === 'string' && value !== '';
const CURRENCY_CODE = /^[A-Z]{3}$/;

// The ISO 4217 codes of a list, each once, in its order ([] for anything else).
function currencyCodes(listed) {
  return Array.isArray(listed) ? [...new Set(listed.filter((code) => CURRENCY_CODE.test(code)))] : [];
}

// One described gateway, checked and normalised; null when it cannot be used.
function readGateway(described) {
  if (!described || !isText(described.name)) return null;
  const back = described.checkout_return || {};
  const fields = back.verify_fields && typeof back.verify_fields === 'object' ? back.verify_fields : {};
  // Simulator mode only: what its simulated dashboard plays after the credit ({refund, reverse, dispute}).
  const board = described.simulator_dashboard;
  const dashboard = board && typeof board === 'object'
    ? { simulatorDashboard: { refund: board.refund === true, reverse: board.reverse === true, dispute: board.dispute === true } }
    : {};
  // The currencies it takes (a server that does not say: any).
  const currencies = Array.isArray(described.currencies) ? { currencies: currencyCodes(described.currencies) } : {};
  return {
    name: described.name,
    label: isText(described.label) ? described.label : described.name,
    settlement: described.settlement !== false, // its days can be settled (a server that does not say: ask it)
    ...currencies,
    ...dashboard,
    checkoutReturn: {
      orderId: isText(back.order_id) ? back.order_id : 'payment_order_id',
      match: Array.isArray(back.match) ? back.match.filter(isText) : [],
      verifyFields: Object.fromEntries(Object.entries(fields).filter(([field, param]) => isText(field) && isText(param))),
      confirm: CONFIRM_MODES.includes(back.confirm) ? back.confirm : 'verify',
      payAgainCharges: back.pay_again_charges === true,
    },
  };
}

// The gateways of a GET /gateways answer, in its order, each name once; [] for anything else.
export function readGateways(answer) {
  const listed = Array.isArray(answer?.gateways) ? answer.gateways : [];
  const gateways = [];
  for (const gateway of listed.map(readGateway)) {
    if (gateway && !gateways.some((g) => g.name === gateway.name)) gateways.push(gateway);
  }
  return gateways;
}

// The currencies of a GET /gateways answer: those wallets are kept in, the default first; [] when
// it does not say (a server of one currency, its default).
export function readCurrencies(answer) {
  return currencyCodes(answer?.currencies);
}

// Whether `gateway` takes `currency` (one that does not say takes any; no currency: any gateway).
export function takesCurrency(gateway, currency) {
  return !currency || !gateway.currencies || gateway.currencies.includes(currency);
}

let loading = null;

// The server's answer read, asked once per page load: {gateways, currencies}; both [] when the
// server cannot tell (asked again next time).
export function loadGatewayAnswer() {
  if (!loading) {
    loading = integrationService.listGateways().then(
      (answer) => ({ gateways: readGateways(answer), currencies: readCurrencies(answer) }),
      () => {
        loading = null;
        return { gateways: [], currencies: [] };
      },
    );
  }
  return loading;
}

// The server's gateways, asked once per page load; [] when the server cannot tell (asked again next time).
export function loadGateways() {
  return loadGatewayAnswer().then((answer) => answer.gateways);
}

// For tests: forget the answer, so the next loadGateways asks again.
export function forgetGateways() {
  loading = null;
}

// A gateway's label, else its name.
export function gatewayLabel(gateways, name) {
  return (gateways || []).find((g) => g.name === name)?.label || name;
}
