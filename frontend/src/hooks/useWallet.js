import { useCallback, useRef, useState } from 'react';
import integrationService from '../services/integrationService.js';

export const HISTORY_PAGE = 20;

// The `currency` wallet (balance) and its ledger, newest first (null until first loaded; null
// again once another currency is chosen, until it is loaded): `loadStatus` reloads both (and
// returns the status), `loadOlder` appends the next page of older entries (`hasOlder` says if there
// is one). `currency` null: the default currency's wallet (none named). An answer for a currency no
// longer chosen is not shown.
export default function useWallet(customerId, currency = null) {
  const [wallet, setWallet] = useState(null);
  const [transactions, setTransactions] = useState(null);
  const [nextBefore, setNextBefore] = useState(null);
  const [shownFor, setShownFor] = useState(currency);
  const wanted = useRef(currency);
  wanted.current = currency;
  if (shownFor !== currency) {
    setShownFor(currency);
    setWallet(null);
    setTransactions(null);
    setNextBefore(null);
  }

  const loadStatus = useCallback(async () => {
    const [status, page] = await Promise.all([
      integrationService.getIntegrationStatus(customerId, { currency }),
      integrationService.getTransactions(customerId, { limit: HISTORY_PAGE, currency }),
    ]);
    if (wanted.current === currency) {
      setWallet(status.wallet);
      setTransactions(page.transactions || []);
      setNextBefore(page.next_before ?? null);
    }
    return status;
  }, [customerId, currency]);

  const loadOlder = useCallback(async () => {
    if (nextBefore == null) return;
    const page = await integrationService.getTransactions(customerId, { limit: HISTORY_PAGE, before: nextBefore, currency });
    if (wanted.current !== currency) return;
    setTransactions((list) => [...(list || []), ...(page.transactions || [])]);
    setNextBefore(page.next_before ?? null);
  }, [customerId, currency, nextBefore]);

  return { wallet, transactions, hasOlder: nextBefore != null, loadStatus, loadOlder };
}
