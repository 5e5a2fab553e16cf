import { useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { KNOWN_GATEWAYS, offeredGateways } from '../gateways.js';

// The top-up methods to offer ([[value, label], …]) and the one chosen. Offers only the gateways
// this server has configured (/health); until it answers, or if it lists none, the known ones.
export default function usePaymentMethods() {
  const [method, setMethod] = useState('razorpay');
  const [methods, setMethods] = useState(KNOWN_GATEWAYS);

  useEffect(() => {
    integrationService
      .healthCheck()
      .then((h) => {
        const offered = offeredGateways(h?.features?.gateways);
        if (offered.length === 0) return;
        setMethods(offered);
        setMethod((current) => (offered.some(([value]) => value === current) ? current : offered[0][0]));
      })
      .catch(() => {});
  }, []);

  return { methods, method, setMethod };
}
