import { describe, expect, it } from 'vitest';
import { countOf, distinct } from './wording.js';

describe('wording', () => {
  it('counts in the singular for one, the plural otherwise', () => {
    expect([0, 1, 2, 22].map((n) => countOf(n, 'refund'))).toEqual(['0 refunds', '1 refund', '2 refunds', '22 refunds']);
    expect(countOf(1, 'top-up')).toBe('1 top-up');
    expect(countOf(3, 'entry', 'entries')).toBe('3 entries');
  });

  it('keeps each piece of text once, in order, without empty ones', () => {
    expect(distinct(['12 Mar', 'payment.captured', 'payment.captured', null, '', false, '₹1.00', '12 Mar'])).toEqual([
      '12 Mar',
      'payment.captured',
      '₹1.00',
    ]);
  });
});
