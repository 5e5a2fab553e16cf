// The payment gateways the page knows by name, in the order it offers them.
export const KNOWN_GATEWAYS = [
  ['razorpay', 'Razorpay'],
  ['paypal', 'PayPal'],
  ['google_pay', 'Google Pay'],
];

const LABELS = new Map(KNOWN_GATEWAYS);

export function gatewayLabel(name) {
  return LABELS.get(name) || name;
}

// [[value, label], …] for the gateways a server lists (/health `features.gateways`): the known ones
// in the order above, then any other name, labelled with the name itself, in the server's order.
export function offeredGateways(enabled) {
  if (!Array.isArray(enabled)) return [];
  const known = KNOWN_GATEWAYS.filter(([value]) => enabled.includes(value));
  const others = enabled.filter(
    (name, i) => typeof name === 'string' && name && !LABELS.has(name) && enabled.indexOf(name) === i,
  );
  return [...known, ...others.map((name) => [name, name])];
}
