import { describe, expect, it } from 'vitest';
import { formatExpiry, headroomText, heldAmount, limitExceededText, limitName } from './holdsAndLimits.js';

const answer = (limits) => ({ success: true, customer_id: 'cust_1', currency: 'INR', kyc_level: 'minimum', limits });
const MONTHLY = { limit: 'MINIMUM_KYC_MONTHLY_TOPUP_MAX', max: 10000, used: 9300, headroom: 700 };

describe('limit names', () => {
  it('names each limit the server has in words', () => {
    expect(limitName('WALLET_BALANCE_MAX')).toBe('the wallet balance limit');
    expect(limitName('FULL_KYC_MONTHLY_TOPUP_MAX')).toBe('the monthly top-up limit for full-KYC wallets');
  });

  it('names a limit it does not know by its name', () => {
    expect(limitName('SHOP_DAILY_MAX')).toBe('the limit SHOP_DAILY_MAX');
  });
});

describe('what the top-up form says before anything is typed', () => {
  it('says nothing when no limit applies', () => {
    expect(headroomText(answer([]))).toBeNull();
    expect(headroomText(null)).toBeNull();
  });

  it('says how much more the tightest limit lets in, and how much of it is used', () => {
    expect(headroomText(answer([MONTHLY, { limit: 'WALLET_BALANCE_MAX', max: 50000, used: 0, headroom: 50000 }]))).toBe(
      'Up to ₹700.00 more can be topped up now: the monthly top-up limit for minimum-KYC wallets is ₹10,000.00, ₹9,300.00 of it used (top-ups still open count too).',
    );
  });

  it('says the limit is reached when nothing more fits', () => {
    expect(headroomText(answer([{ ...MONTHLY, used: 10000, headroom: 0 }]))).toBe(
      'No more can be topped up now: the monthly top-up limit for minimum-KYC wallets (₹10,000.00) is reached.',
    );
  });
});

describe("a top-up refused by a limit (initiate's 422)", () => {
  it('says which limit and how much more fits', () => {
    expect(limitExceededText({ limit: 'WALLET_BALANCE_MAX', headroom: 700 }, 'INR')).toBe(
      'That top-up would pass the wallet balance limit: at most ₹700.00 more can be topped up now.',
    );
  });

  it('says nothing more fits when the headroom is 0', () => {
    expect(limitExceededText({ limit: 'WALLET_BALANCE_MAX', headroom: 0 }, 'INR')).toBe(
      'That top-up would pass the wallet balance limit: nothing more can be topped up now.',
    );
  });
});

describe('authorised orders', () => {
  it("an authorisation's expiry is a date, or null when the server did not say", () => {
    expect(formatExpiry('2026-01-08T10:00:00Z')).toMatch(/2026/);
    expect(formatExpiry(null)).toBeNull();
    expect(formatExpiry('not a date')).toBeNull();
  });

  it("the amount held is the authorisation's, else the order's", () => {
    expect(heldAmount({ amount: 250, authorization: { amount: 200 } })).toBe(200);
    expect(heldAmount({ amount: 250 })).toBe(250);
  });
});
