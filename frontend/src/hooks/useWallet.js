import { useCallback, useState } from 'react';
import integrationService from '../services/integrationService.js';

// The customer's wallet and recent transactions, loaded by `loadStatus` (which also returns the status).
export default function useWallet(customerId) {
  const [wallet, setWallet] = useState(null);
  const [transactions, setTransactions] = useState([]);

  const loadStatus = useCallback(async () => {
    const status = await integrationService.getIntegrationStatus(customerId);
    setWallet(status.wallet);
    setTransactions(status.recent_transactions || []);
    return status;
  }, [customerId]);

  const clearWallet = useCallback(() => {
    setWallet(null);
    setTransactions([]);
  }, []);

  return { wallet, transactions, loadStatus, clearWallet };
}
