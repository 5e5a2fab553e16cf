// A settled day in words: the day shown first, what each exception means and what became of it.
import { describe, expect, it } from 'vitest';
import { exceptionMeaning, exceptionOutcome, openFirst, yesterdayUtc } from './settlement.js';

describe('yesterdayUtc', () => {
  it.each([
    ['2026-03-01T00:30:00Z', '2026-02-28'],
    ['2026-01-01T23:59:00Z', '2025-12-31'],
    ['2026-01-01T23:59:00+05:30', '2025-12-31'], // 18:29 UTC on 1 January: still the UTC day 1 January
  ])('the day before %s (UTC) is %s', (now, day) => {
    expect(yesterdayUtc(new Date(now))).toBe(day);
  });
});

describe('exceptions in words', () => {
  it.each([
    ['captured_not_credited', /captured this payment, but the wallet was never credited/],
    ['refund_not_applied', /refunded this payment, but the wallet had not taken the money back/],
    ['credited_not_captured', /wallet was credited, but no report of the gateway lists the payment/],
    ['amount_mismatch', /gateway's amount differs/],
    ['unknown_payment', /matches no top-up here/],
    ['unreadable_rows', /report could not be read/],
  ])('%s says what disagreed', (kind, words) => {
    expect(exceptionMeaning(kind)).toMatch(words);
  });

  it('an unknown kind is shown as it came', () => {
    expect(exceptionMeaning('new_kind')).toBe('new_kind');
  });

  it.each(['captured_not_credited', 'refund_not_applied'])('%s resolved was healed automatically', (kind) => {
    expect(exceptionOutcome({ kind, status: 'resolved' })).toMatch(/^Healed automatically/);
  });

  it.each(['credited_not_captured', 'amount_mismatch', 'unknown_payment', 'unreadable_rows'])('%s open needs a person to check it', (kind) => {
    expect(exceptionOutcome({ kind, status: 'open' })).toBe('Needs a person: check it with the gateway and the customer.');
  });

  it('a healing kind left open says settling could not heal it', () => {
    expect(exceptionOutcome({ kind: 'refund_not_applied', status: 'open' })).toBe('Needs a person: settling could not heal it automatically.');
  });

  it('a credit a later report listed is resolved by that report', () => {
    expect(exceptionOutcome({ kind: 'credited_not_captured', status: 'resolved' })).toMatch(/later report/);
  });
});

describe('openFirst', () => {
  it('puts the open exceptions first, each group in the order given', () => {
    const rows = [
      { payment_id: 'a', status: 'resolved' },
      { payment_id: 'b', status: 'open' },
      { payment_id: 'c', status: 'resolved' },
      { payment_id: 'd', status: 'open' },
    ];
    expect(openFirst(rows).map((r) => r.payment_id)).toEqual(['b', 'd', 'a', 'c']);
  });
});
