import { useCallback, useState } from 'react';
import integrationService from '../services/integrationService.js';

export const HISTORY_PAGE = 20;

// The wallet (balance) and its ledger, newest first (null until first loaded): `loadStatus` reloads
// both (and returns the status), `loadOlder` appends the next page of older entries (`hasOlder`
// says if there is one).
export default function useWallet(customerId) {
  const [wallet, setWallet] = useState(null);
  const [transactions, setTransactions] = useState(null);
  const [nextBefore, setNextBefore] = useState(null);

  const loadStatus = useCallback(async () => {
    const [status, page] = await Promise.all([
      integrationService.getIntegrationStatus(customerId),
      integrationService.getTransactions(customerId, { limit: HISTORY_PAGE }),
    ]);
    setWallet(status.wallet);
    setTransactions(page.transactions || []);
    setNextBefore(page.next_before ?? null);
    return status;
  }, [customerId]);

  const loadOlder = useCallback(async () => {
    if (nextBefore == null) return;
    const page = await integrationService.getTransactions(customerId, { limit: HISTORY_PAGE, before: nextBefore });
    setTransactions((list) => [...(list || []), ...(page.transactions || [])]);
    setNextBefore(page.next_before ?? null);
  }, [customerId, nextBefore]);

  return { wallet, transactions, hasOlder: nextBefore != null, loadStatus, loadOlder };
}
