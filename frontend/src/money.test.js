import { describe, expect, it } from 'vitest';
import { amountHint, amountText, checkAmount, currencyDecimals, currencyName, formatMoney } from './money.js';

describe('amounts', () => {
  it.each(['1', '500', '0.01', '250.5', '10000000.00'])('accepts %s', (v) => {
    expect(checkAmount(v)).toBeNull();
  });

  it.each(['', '0', '0.00', '-5', '1e3', '12.345', 'abc', '10000000.01', '1,000'])('rejects %j', (v) => {
    expect(checkAmount(v)).toMatch(/amount|most/);
  });

  it('says to leave out thousands separators, as the page itself writes amounts with them', () => {
    expect(checkAmount('1,000')).toBe('Write the amount without separators: 1000, not 1,000.');
    expect(checkAmount('1,00,000.50')).toBe('Write the amount without separators: 100000.50, not 1,00,000.50.');
    expect(checkAmount(',100')).toBe('Enter an amount above 0 with at most 2 decimals.');
  });

  it('reads a comma that groups no thousands as a decimal comma, and never suggests a larger amount', () => {
    for (const typed of ['1,50', '12,5', '100,5', '1,0.5']) {
      expect(checkAmount(typed)).not.toMatch(/without separators/);
    }
    expect(checkAmount('12,50')).toBe('Use a point for decimals, for example 12.50.');
  });

  it('formats INR as rupees with Indian grouping', () => {
    expect(formatMoney(1250, 'INR')).toBe('₹1,250.00');
    expect(formatMoney(100000, 'INR')).toBe('₹1,00,000.00');
  });

  it('falls back to "<amount> <code>" for an unknown currency code', () => {
    expect(formatMoney(5, 'NOT-A-CODE')).toBe('5.00 NOT-A-CODE');
  });
});

describe('minor units per currency', () => {
  it('knows the decimals of each currency (JPY none), 2 for a code it does not know', () => {
    expect(['INR', 'USD', 'EUR', 'JPY', 'NOT-A-CODE', undefined].map(currencyDecimals)).toEqual([2, 2, 2, 0, 2, 2]);
  });

  it.each([['1200', 'JPY'], ['10000000', 'JPY'], ['12.34', 'USD'], ['12.3', 'INR']])('accepts %s %s', (v, currency) => {
    expect(checkAmount(v, currency)).toBeNull();
  });

  it.each(['12.5', '12.50', '0', '1e3', '-3', '10000001'])('rejects %j yen: JPY has no decimals', (v) => {
    expect(checkAmount(v, 'JPY')).toMatch(/^(Enter a whole amount above 0: JPY has no decimals\.|The most you can move at once is 10,000,000\.)$/);
  });

  it('says why a yen amount with decimals is refused, and the most in whole yen', () => {
    expect(checkAmount('12.5', 'JPY')).toBe('Enter a whole amount above 0: JPY has no decimals.');
    expect(checkAmount('10000001', 'JPY')).toBe('The most you can move at once is 10,000,000.');
    expect(checkAmount('12.345', 'USD')).toBe('Enter an amount above 0 with at most 2 decimals.');
  });

  it('formats each currency with its decimals', () => {
    expect(formatMoney(1200, 'JPY')).toBe('JP¥1,200');
    expect(formatMoney(12.5, 'USD')).toBe('$12.50');
  });

  it("writes an amount as the API's decimal text in its currency", () => {
    expect([amountText(250, 'INR'), amountText(120.5, 'USD'), amountText(1200, 'JPY'), amountText(3)]).toEqual(['250.00', '120.50', '1200', '3.00']);
  });

  it('hints at the decimals and names the currency in words', () => {
    expect(amountHint('JPY')).toBe('Whole JPY only, for example 500');
    expect(amountHint('USD')).toBe('Up to 2 decimals, for example 500 or 99.50');
    expect([currencyName('USD'), currencyName('JPY'), currencyName('NOT-A-CODE')]).toEqual(['US Dollar', 'Japanese Yen', 'NOT-A-CODE']);
  });
});
