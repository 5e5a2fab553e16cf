// Same rule as the API: positive, at most 2 decimals, no sign or exponent.
const AMOUNT = /^\d+(\.\d{1,2})?$/;
export const MAX_AMOUNT = 10_000_000;

export function checkAmount(text) {
  const value = String(text).trim();
  if (!AMOUNT.test(value) || Number(value) <= 0) return 'Enter an amount above 0 with at most 2 decimals.';
  if (Number(value) > MAX_AMOUNT) return 'The most you can move at once is 10,000,000.00.';
  return null;
}

export function formatMoney(amount, currency = 'INR') {
  try {
    return new Intl.NumberFormat('en-IN', { style: 'currency', currency }).format(amount);
  } catch {
    return `${Number(amount).toFixed(2)} ${currency}`;
  }
}
