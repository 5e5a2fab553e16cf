// The page and a refused sign-in (401): it signs out only when the refused request carried the
// token still stored; a sign-in made since in another tab stays, and the page takes it up.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService, { TOKEN_KEY } from './services/integrationService.js';
import { forgetGateways } from './gateways.js';
import App from './App.jsx';
import { mountRoot, unmountRoot } from './testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const jwt = (payload) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.c2ln`;
const OLD = jwt({ sub: 'cust_1', n: 1 });
const NEWER = jwt({ sub: 'cust_2', n: 2 });
const STATUS = (customerId) => ({ wallet: { customer_id: customerId, balance: 10, held: 0, available: 10, debt: 0, currency: 'INR' } });

function refusal(token) {
  const err = new Error('Your sign-in has expired. Open the sign-in link again.');
  Object.assign(err, { status: 401, code: 'token_expired', token });
  return err;
}

let container;
let root;
const $ = (testId) => container.querySelector(`[data-testid="${testId}"]`);

async function renderRefused(refusedToken, storedMeanwhile) {
  localStorage.setItem(TOKEN_KEY, OLD);
  vi.spyOn(integrationService, 'listGateways').mockResolvedValue({ gateways: [] });
  if (!vi.isMockFunction(integrationService.listOrders)) {
    vi.spyOn(integrationService, 'listOrders').mockResolvedValue({ orders: [], next_after: null });
  }
  vi.spyOn(integrationService, 'getWithdrawable').mockResolvedValue({ available: 10, refundable: 10, withdrawable: 10, currency: 'INR' });
  if (!vi.isMockFunction(integrationService.getTransactions)) {
    vi.spyOn(integrationService, 'getTransactions').mockResolvedValue({ transactions: [], next_before: null });
  }
  let first = true;
  vi.spyOn(integrationService, 'getIntegrationStatus').mockImplementation(async (customerId) => {
    if (!first) return STATUS(customerId);
    first = false;
    if (storedMeanwhile !== undefined) localStorage.setItem(TOKEN_KEY, storedMeanwhile);
    throw refusal(refusedToken);
  });
  await act(async () => root.render(<App />));
  await act(async () => {}); // let the refresh after a sign-in taken up settle
}

beforeEach(() => {
  vi.restoreAllMocks();
  forgetGateways();
  localStorage.clear();
  sessionStorage.clear();
  ({ container, root } = mountRoot());
});
afterEach(() => unmountRoot({ container, root }));

describe('a 401', () => {
  it('for the stored token signs out and says the sign-in expired', async () => {
    await renderRefused(OLD);
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect($('who')).toBeNull();
    expect($('message').textContent).toBe('Your sign-in has expired. Open the sign-in link again.');
  });

  it('twice for the stored token (two calls in flight) still says why the page signed out', async () => {
    vi.spyOn(integrationService, 'listOrders').mockImplementation(async () => {
      await new Promise((r) => setTimeout(r, 10)); // answers after the status call's refusal
      throw refusal(OLD);
    });
    await renderRefused(OLD);
    await act(() => new Promise((r) => setTimeout(r, 30))); // the orders' refusal has come too
    expect(integrationService.listOrders).toHaveBeenCalled();
    expect($('who')).toBeNull();
    expect($('message').textContent).toBe('Your sign-in has expired. Open the sign-in link again.');
  });

  it("for an old token keeps the newer sign-in another tab stored, and the page takes it up", async () => {
    await renderRefused(OLD, NEWER);
    expect(localStorage.getItem(TOKEN_KEY)).toBe(NEWER);
    expect($('who').textContent).toMatch(/^cust_2/);
    expect($('message').textContent).toMatch(/^You signed in again in another tab, so this page now uses that sign-in\./);
    expect(integrationService.getIntegrationStatus).toHaveBeenLastCalledWith('cust_2', { currency: null });
    expect($('balance').textContent).toBe('₹10.00');
  });
});
