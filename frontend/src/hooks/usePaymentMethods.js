import { useState } from 'react';

// The top-up methods to offer ([[value, label], …]: the server's gateways, in its order) and the
// one chosen: the first until the customer picks another; '' while there is none.
export default function usePaymentMethods(gateways) {
  const [chosen, setMethod] = useState('');
  const methods = gateways.map((g) => [g.name, g.label]);
  const method = methods.some(([value]) => value === chosen) ? chosen : methods[0]?.[0] || '';
  return { methods, method, setMethod };
}
