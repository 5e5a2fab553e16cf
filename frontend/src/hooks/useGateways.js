import { useEffect, useState } from 'react';
import { loadGatewayAnswer } from '../gateways.js';

// The server's gateways and the currencies its wallets are kept in (GET /gateways, see gateways.js):
// [] until it answers; `loaded` once it has answered, or could not.
export default function useGateways() {
  const [state, setState] = useState({ gateways: [], currencies: [], loaded: false });

  useEffect(() => {
    let live = true;
    loadGatewayAnswer().then(({ gateways, currencies }) => {
      if (live) setState({ gateways, currencies, loaded: true });
    });
    return () => {
      live = false;
    };
  }, []);

  return state;
}
