import { useCallback, useState } from 'react';

// The tab's chosen currency is kept across a gateway's checkout and back (the return shows the
// wallet that was topped up), and forgotten with the tab.
export const CURRENCY_KEY = 'wallet_currency';

function storedCurrency() {
  try {
    return sessionStorage.getItem(CURRENCY_KEY);
  } catch {
    return null; // storage blocked: the default currency
  }
}

// The currency whose wallet the page shows, of `currencies` (the server's, the default first): the
// one chosen in this tab when the server keeps wallets in it, else the default; null while the
// server has not said (or does not: its one currency, asked for by naming none). `choose(code)`.
export default function useCurrency(currencies) {
  const [chosen, setChosen] = useState(storedCurrency);
  const currency = currencies.includes(chosen) ? chosen : (currencies[0] ?? null);
  const choose = useCallback((code) => {
    try {
      sessionStorage.setItem(CURRENCY_KEY, code);
    } catch {
      /* storage blocked: chosen for this page only */
    }
    setChosen(code);
  }, []);
  return { currency, choose };
}
