import { useState } from 'react';
import { takesCurrency } from '../gateways.js';

// The top-up methods to offer ([[value, label], …]: the server's gateways that take `currency`
// (null: all of them), in its order) and the one chosen: the first until the customer picks
// another (again the first when the one picked does not take `currency`); '' while there is none.
export default function usePaymentMethods(gateways, currency = null) {
  const [chosen, setMethod] = useState('');
  const methods = gateways.filter((g) => takesCurrency(g, currency)).map((g) => [g.name, g.label]);
  const method = methods.some(([value]) => value === chosen) ? chosen : methods[0]?.[0] || '';
  return { methods, method, setMethod };
}
