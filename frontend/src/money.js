// Amounts as the API takes them: positive, no sign or exponent, at most the currency's decimals
// (2 for rupees and dollars, none for yen), at most 10,000,000.
export const MAX_AMOUNT = 10_000_000;
const LOCALE = 'en-IN';

// The currency's minor-unit digits as Intl knows them (ISO 4217: INR 2, JPY 0); 2 for a code it does not know.
export function currencyDecimals(currency) {
  try {
    return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

// What is wrong with the amount typed for `currency` (a sentence to show), or null when the API takes it.
export function checkAmount(text, currency = 'INR') {
  const value = String(text).trim();
  const decimals = currencyDecimals(currency);
  const shape = decimals === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`);
  // Thousands grouped as the page writes them (1,000.50; Indian 1,00,000.50): say to leave the commas out.
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(value) || /^\d{1,2}(,\d{2})+,\d{3}(\.\d+)?$/.test(value)) {
    return `Write the amount without separators: ${value.replaceAll(',', '')}, not ${value}.`;
  }
  if (/^\d+,\d+$/.test(value)) return 'Use a point for decimals, for example 12.50.';
  if (!shape.test(value) || Number(value) <= 0) {
    return decimals === 0
      ? `Enter a whole amount above 0: ${currency} has no decimals.`
      : `Enter an amount above 0 with at most ${decimals} decimals.`;
  }
  if (Number(value) > MAX_AMOUNT) {
    const most = MAX_AMOUNT.toLocaleString('en-US', { minimumFractionDigits: decimals });
    return `The most you can move at once is ${most}.`;
  }
  return null;
}

// `amount` (a number of major units) as the API's decimal text in `currency`: 250 -> '250.00', JPY 1200 -> '1200'.
export function amountText(amount, currency = 'INR') {
  return Number(amount).toFixed(currencyDecimals(currency));
}

// A hint under an amount field: how many decimals `currency` takes, with an example.
export function amountHint(currency = 'INR') {
  return currencyDecimals(currency) === 0
    ? `Whole ${currency} only, for example 500`
    : 'Up to 2 decimals, for example 500 or 99.50';
}

export function formatMoney(amount, currency = 'INR') {
  try {
    return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).format(amount);
  } catch {
    return `${Number(amount).toFixed(2)} ${currency}`;
  }
}

// A currency's name in words ('US Dollar'), else its code.
export function currencyName(currency) {
  try {
    return new Intl.DisplayNames(['en'], { type: 'currency' }).of(currency) || currency;
  } catch {
    return currency;
  }
}
