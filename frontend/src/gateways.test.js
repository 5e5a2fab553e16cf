import { beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from './services/integrationService.js';
import { forgetGateways, gatewayLabel, loadGatewayAnswer, loadGateways, readCurrencies, readGateways, takesCurrency } from './gateways.js';
import { BUILT_IN, FOURTH, INR_AND_USD } from './gateways.fixture.js';

beforeEach(() => {
  vi.restoreAllMocks();
  forgetGateways();
});

describe('readGateways', () => {
  it('keeps the server order, labels and how to read each return', () => {
    const gateways = readGateways({ success: true, gateways: [...BUILT_IN, FOURTH] });
    expect(gateways.map((g) => [g.name, g.label])).toEqual([
      ['razorpay', 'Razorpay'],
      ['paypal', 'PayPal'],
      ['google_pay', 'Google Pay'],
      ['upi_direct', 'UPI Direct'],
    ]);
    expect(gateways[0].checkoutReturn).toEqual({
      orderId: 'razorpay_order_id',
      match: ['razorpay_order_id', 'razorpay_payment_id'],
      verifyFields: { payment_id: 'razorpay_payment_id', signature: 'razorpay_signature' },
      confirm: 'verify',
      payAgainCharges: true,
    });
    expect(gateways[2].checkoutReturn.confirm).toBe('await_credit');
  });

  it('labels a gateway without a label by its name and reads a bare one with defaults', () => {
    expect(readGateways({ gateways: [{ name: 'upi' }] })).toEqual([
      {
        name: 'upi',
        label: 'upi',
        settlement: true,
        checkoutReturn: { orderId: 'payment_order_id', match: [], verifyFields: {}, confirm: 'verify', payAgainCharges: false },
      },
    ]);
  });

  it('reads nothing from an answer without gateways, and skips what is not a gateway or a repeat', () => {
    expect(readGateways(undefined)).toEqual([]);
    expect(readGateways({ gateways: 'razorpay' })).toEqual([]);
    expect(readGateways({ gateways: [] })).toEqual([]);
    const read = readGateways({ gateways: ['', null, 3, { name: '' }, { name: 'upi' }, { name: 'upi', label: 'Again' }] });
    expect(read.map((g) => [g.name, g.label])).toEqual([['upi', 'upi']]);
  });

  it('ignores a confirm mode it does not know and return fields that are not text', () => {
    const [gateway] = readGateways({
      gateways: [{ name: 'x', checkout_return: { confirm: 'telepathy', match: ['a', 3], verify_fields: { a: 'b', c: 4 } } }],
    });
    expect(gateway.checkoutReturn).toMatchObject({ confirm: 'verify', match: ['a'], verifyFields: { a: 'b' } });
  });
});

describe('loadGateways', () => {
  it('asks the server once per page load', async () => {
    const list = vi.spyOn(integrationService, 'listGateways').mockResolvedValue({ success: true, gateways: BUILT_IN });
    const [first, second] = await Promise.all([loadGateways(), loadGateways()]);
    expect(first.map((g) => g.name)).toEqual(['razorpay', 'paypal', 'google_pay']);
    expect(second).toBe(first);
    await loadGateways();
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('is empty when the server cannot tell, and asks again next time', async () => {
    const list = vi.spyOn(integrationService, 'listGateways').mockRejectedValueOnce(new Error('down'));
    expect(await loadGateways()).toEqual([]);
    list.mockResolvedValueOnce({ gateways: [FOURTH] });
    expect((await loadGateways()).map((g) => g.name)).toEqual(['upi_direct']);
    expect(list).toHaveBeenCalledTimes(2);
  });
});

describe('gatewayLabel', () => {
  it("names a gateway by the server's label and falls back to the raw name", () => {
    const gateways = readGateways({ gateways: [...BUILT_IN, FOURTH] });
    expect(gatewayLabel(gateways, 'google_pay')).toBe('Google Pay');
    expect(gatewayLabel(gateways, 'upi_direct')).toBe('UPI Direct');
    expect(gatewayLabel(gateways, 'stripe')).toBe('stripe');
    expect(gatewayLabel(gateways, 'constructor')).toBe('constructor');
    expect(gatewayLabel([], 'razorpay')).toBe('razorpay');
  });
});

describe('currencies', () => {
  it("reads the server's currencies in its order (the default first), each code once, [] when it does not say", () => {
    expect(readCurrencies(INR_AND_USD)).toEqual(['INR', 'USD']);
    expect(readCurrencies({ currencies: ['USD', 'INR', 'USD', 'usd', '', 3, 'EURO'] })).toEqual(['USD', 'INR']);
    expect(readCurrencies({ gateways: BUILT_IN })).toEqual([]);
    expect(readCurrencies(undefined)).toEqual([]);
  });

  it('keeps the currencies each gateway takes, and offers a gateway only in those', () => {
    const [razorpay, paypal] = readGateways(INR_AND_USD);
    expect([razorpay.currencies, paypal.currencies]).toEqual([['INR'], ['INR', 'USD']]);
    expect([takesCurrency(razorpay, 'USD'), takesCurrency(paypal, 'USD'), takesCurrency(razorpay, 'INR')]).toEqual([false, true, true]);
  });

  it('a gateway that does not say takes any currency, and with no currency every gateway is offered', () => {
    const [bare] = readGateways({ gateways: [{ name: 'upi' }] });
    expect(takesCurrency(bare, 'JPY')).toBe(true);
    expect(takesCurrency(readGateways(INR_AND_USD)[0], null)).toBe(true);
  });

  it('asks the server once for both the gateways and the currencies', async () => {
    const list = vi.spyOn(integrationService, 'listGateways').mockResolvedValue(INR_AND_USD);
    const [answer, gateways] = await Promise.all([loadGatewayAnswer(), loadGateways()]);
    expect(answer.currencies).toEqual(['INR', 'USD']);
    expect(gateways).toBe(answer.gateways);
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('has no currencies when the server cannot tell', async () => {
    vi.spyOn(integrationService, 'listGateways').mockRejectedValueOnce(new Error('down'));
    expect(await loadGatewayAnswer()).toEqual({ gateways: [], currencies: [] });
  });
});
