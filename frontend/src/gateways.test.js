import { describe, expect, it } from 'vitest';
import { gatewayLabel, offeredGateways } from './gateways.js';

describe('offeredGateways', () => {
  it('offers the known gateways the server lists, in the page order', () => {
    expect(offeredGateways(['google_pay', 'paypal', 'razorpay'])).toEqual([
      ['razorpay', 'Razorpay'],
      ['paypal', 'PayPal'],
      ['google_pay', 'Google Pay'],
    ]);
    expect(offeredGateways(['paypal'])).toEqual([['paypal', 'PayPal']]);
  });

  it('offers an unknown gateway too, labelled with its name, after the known ones', () => {
    expect(offeredGateways(['paypal', 'stripe', 'razorpay', 'adyen'])).toEqual([
      ['razorpay', 'Razorpay'],
      ['paypal', 'PayPal'],
      ['stripe', 'stripe'],
      ['adyen', 'adyen'],
    ]);
  });

  it('offers nothing when the server lists no gateways, and skips names that are not names', () => {
    expect(offeredGateways(undefined)).toEqual([]);
    expect(offeredGateways('razorpay')).toEqual([]);
    expect(offeredGateways([])).toEqual([]);
    expect(offeredGateways(['', null, 3, 'upi', 'upi'])).toEqual([['upi', 'upi']]);
  });
});

describe('gatewayLabel', () => {
  it('names the known gateways and falls back to the raw name', () => {
    expect(gatewayLabel('google_pay')).toBe('Google Pay');
    expect(gatewayLabel('stripe')).toBe('stripe');
    expect(gatewayLabel('constructor')).toBe('constructor');
  });
});
