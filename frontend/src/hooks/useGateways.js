import { useEffect, useState } from 'react';
import { loadGateways } from '../gateways.js';

// The server's gateways (GET /gateways, see gateways.js): [] until it answers; `loaded` once it
// has answered, or could not.
export default function useGateways() {
  const [state, setState] = useState({ gateways: [], loaded: false });

  useEffect(() => {
    let live = true;
    loadGateways().then((gateways) => {
      if (live) setState({ gateways, loaded: true });
    });
    return () => {
      live = false;
    };
  }, []);

  return state;
}
