import { describe, expect, it } from 'vitest';
import { checkAmount, formatMoney } from './money.js';

describe('amounts', () => {
  it.each(['1', '500', '0.01', '250.5', '10000000.00'])('accepts %s', (v) => {
    expect(checkAmount(v)).toBeNull();
  });

  it.each(['', '0', '0.00', '-5', '1e3', '12.345', 'abc', '10000000.01', '1,000'])('rejects %j', (v) => {
    expect(checkAmount(v)).toMatch(/amount|most/);
  });

  it('formats INR as rupees with Indian grouping', () => {
    expect(formatMoney(1250, 'INR')).toBe('₹1,250.00');
    expect(formatMoney(100000, 'INR')).toBe('₹1,00,000.00');
  });

  it('falls back to "<amount> <code>" for an unknown currency code', () => {
    expect(formatMoney(5, 'NOT-A-CODE')).toBe('5.00 NOT-A-CODE');
  });
});
