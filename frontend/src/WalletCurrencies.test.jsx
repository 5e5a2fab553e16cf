// The wallet page with wallets in more than one currency (GET /gateways `currencies`), in jsdom: the
// choice of currency, each currency's wallet (balance, history, statement, withdrawable), the
// gateways taking it, top-ups sent in it, the choice kept across a checkout, no choice with one
// currency, and yen without decimals.
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService, { TOKEN_KEY } from './services/integrationService.js';
import { forgetGateways } from './gateways.js';
import { BUILT_IN, INR_AND_USD } from './gateways.fixture.js';
import { CURRENCY_KEY } from './hooks/useCurrency.js';
import App from './App.jsx';
import { mountRoot, unmountRoot } from './testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const TOKEN = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'cust_1' })}.c2ln`;
const BALANCES = { INR: 250, USD: 12.34, JPY: 1200 };
const wallet = (currency) => {
  const balance = BALANCES[currency];
  return { customer_id: 'cust_1', balance, held: 0, available: balance, debt: 0, currency };
};
const topup = (currency) => ({
  transaction_id: `txn_${currency}`, kind: 'topup', type: 'credit', amount: BALANCES[currency], currency,
  created_at: '2026-01-01T10:00:00Z', reference: { gateway: 'paypal', payment_order_id: `po_${currency}` },
});

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);
const options = (testId) => [...$(testId).options].map((o) => o.value);
const settle = () => act(() => new Promise((r) => setTimeout(r, 0)));
async function choose(testId, value) {
  await act(async () => {
    $(testId).value = value;
    $(testId).dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
}
async function type(testId, text) {
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  await act(async () => {
    setValue.call($(testId), text);
    $(testId).dispatchEvent(new Event('input', { bubbles: true }));
  });
}

// The page signed in as cust_1 against a server answering GET /gateways with `answer`; each wallet
// read answers the wallet of the currency asked for (the default's, INR, when none).
async function renderPage(answer = INR_AND_USD) {
  vi.spyOn(integrationService, 'listGateways').mockResolvedValue(answer);
  const asked = (option) => option?.currency || 'INR';
  vi.spyOn(integrationService, 'getIntegrationStatus').mockImplementation(async (_id, option) => ({ wallet: wallet(asked(option)) }));
  vi.spyOn(integrationService, 'getTransactions').mockImplementation(async (_id, option) => ({ transactions: [topup(asked(option))], next_before: null }));
  vi.spyOn(integrationService, 'getWithdrawable').mockImplementation(async (_id, option) => {
    const { available, currency } = wallet(asked(option));
    return { available, refundable: available, withdrawable: available, currency };
  });
  vi.spyOn(integrationService, 'getLimits').mockResolvedValue({ currency: 'INR', kyc_level: 'minimum', limits: [] });
  vi.spyOn(integrationService, 'listOrders').mockResolvedValue({ orders: [], next_after: null });
  await act(async () => root.render(<App />));
  await settle();
}

beforeEach(() => {
  vi.restoreAllMocks();
  forgetGateways();
  localStorage.clear();
  sessionStorage.clear();
  localStorage.setItem(TOKEN_KEY, TOKEN);
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe('a server keeping wallets in INR and USD', () => {
  it("shows the default currency's wallet first, every gateway taking it, and the choice of the server's currencies", async () => {
    await renderPage();
    expect(options('currency-choice')).toEqual(['INR', 'USD']);
    expect($('currency-choice').value).toBe('INR');
    expect($('currency-choice').options[1].textContent).toBe('USD · US Dollar');
    expect($('balance').textContent).toBe('₹250.00');
    expect(integrationService.getIntegrationStatus).toHaveBeenLastCalledWith('cust_1', { currency: 'INR' });
    expect(options('topup-method')).toEqual(['razorpay', 'paypal', 'google_pay']);
  });

  it('choosing USD shows the USD wallet (balance, history, withdrawable) and offers only the gateways taking USD', async () => {
    await renderPage();
    await choose('currency-choice', 'USD');
    expect($('balance').textContent).toBe('$12.34');
    expect($('transactions').textContent).toMatch(/\+\$12\.34/);
    expect($('withdrawable').textContent).toBe('Up to $12.34 can be withdrawn now.');
    expect(integrationService.getTransactions).toHaveBeenLastCalledWith('cust_1', { limit: 20, currency: 'USD' });
    expect(integrationService.getWithdrawable).toHaveBeenLastCalledWith('cust_1', { currency: 'USD' });
    expect(options('topup-method')).toEqual(['paypal', 'google_pay']);
    await choose('currency-choice', 'INR');
    expect($('balance').textContent).toBe('₹250.00');
    expect(options('topup-method')).toEqual(['razorpay', 'paypal', 'google_pay']);
  });

  it("a top-up, the statement and a withdrawal of the USD wallet are sent in USD", async () => {
    await renderPage();
    await choose('currency-choice', 'USD');
    const initiate = vi.spyOn(integrationService, 'initiateWalletTopup').mockResolvedValue({ redirect_url: '#checkout' });
    const statement = vi.spyOn(integrationService, 'downloadStatement').mockRejectedValue(new Error('not now'));
    const withdraw = vi.spyOn(integrationService, 'withdraw').mockRejectedValue(new Error('not now'));
    await type('topup-amount', '5.50');
    await act(async () => $('topup-amount').closest('form').requestSubmit());
    expect(initiate).toHaveBeenCalledWith('cust_1', '5.50', 'paypal', 'USD');
    await act(async () => $('download-statement').click());
    expect(statement).toHaveBeenCalledWith('cust_1', { currency: 'USD' });
    await type('withdraw-amount', '2');
    await act(async () => $('withdraw-amount').closest('form').requestSubmit());
    expect($('withdraw-confirmation').textContent).toMatch(/^Withdraw \$2\.00 /);
    await act(async () => $('withdraw-confirm').click());
    expect(withdraw).toHaveBeenCalledWith('cust_1', '2', 'USD');
  });

  it('keeps the choice in the tab: the page opened again (back from a checkout) shows the USD wallet', async () => {
    await renderPage();
    await choose('currency-choice', 'USD');
    expect(sessionStorage.getItem(CURRENCY_KEY)).toBe('USD');
    act(() => root.unmount());
    root = createRoot(container);
    vi.restoreAllMocks();
    forgetGateways();
    await renderPage();
    expect($('currency-choice').value).toBe('USD');
    expect($('balance').textContent).toBe('$12.34');
    expect(integrationService.getIntegrationStatus.mock.calls.map((call) => call[1])).toEqual([{ currency: 'USD' }]);
  });

  it('a gateway that does not take the currency (400) is said by its label, with what it takes', async () => {
    await renderPage({ ...INR_AND_USD, gateways: BUILT_IN.map((g) => ({ ...g, currencies: ['INR', 'USD'] })) });
    await choose('currency-choice', 'USD');
    const refused = Object.assign(new Error('That payment method does not take this currency. Choose another.'), {
      status: 400, code: 'payment_method_unavailable', body: { currencies: ['INR'] },
    });
    vi.spyOn(integrationService, 'initiateWalletTopup').mockRejectedValue(refused);
    await choose('topup-method', 'razorpay');
    await type('topup-amount', '5');
    await act(async () => $('topup-amount').closest('form').requestSubmit());
    expect($('message').textContent).toBe('Razorpay does not take USD here: it takes INR. Choose another way to pay.');
  });
});

describe('one currency, and currencies without decimals', () => {
  it('shows no currency choice when the server keeps wallets in one currency', async () => {
    await renderPage({ success: true, currencies: ['INR'], gateways: BUILT_IN });
    expect($('currency-choice')).toBeNull();
    expect($('balance').textContent).toBe('₹250.00');
    expect(options('topup-method')).toEqual(['razorpay', 'paypal', 'google_pay']);
  });

  it('a yen wallet shows whole yen, and the top-up form refuses decimals before asking the server', async () => {
    const paypal = { ...BUILT_IN[1], currencies: ['JPY', 'USD'] };
    await renderPage({ success: true, currencies: ['JPY', 'USD'], gateways: [paypal] });
    expect($('balance').textContent).toBe('JP¥1,200');
    expect(container.querySelector('#topup-amount-hint').textContent).toBe('Whole JPY only, for example 500');
    const initiate = vi.spyOn(integrationService, 'initiateWalletTopup');
    await type('topup-amount', '12.50');
    await act(async () => $('topup-amount').closest('form').requestSubmit());
    expect($('message').textContent).toBe('Enter a whole amount above 0: JPY has no decimals.');
    expect(initiate).not.toHaveBeenCalled();
  });
});
