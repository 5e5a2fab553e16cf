import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import { forgetGateways } from '../gateways.js';
import { BUILT_IN, FOURTH } from '../gateways.fixture.js';
import useGateways from './useGateways.js';
import usePaymentMethods from './usePaymentMethods.js';
import TopupForm from '../components/TopupForm.jsx';
import { mountRoot, unmountRoot } from '../testing/mountedRoot';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

function Page() {
  const { gateways, loaded } = useGateways();
  const { methods, method, setMethod } = usePaymentMethods(gateways);
  return (
    <TopupForm
      customerId="cust_1"
      methods={methods}
      method={method}
      loaded={loaded}
      onMethodChange={setMethod}
      run={() => {}}
      setMessage={() => {}}
    />
  );
}

let container;
let root;

async function renderWith(listGateways) {
  vi.spyOn(integrationService, 'listGateways').mockImplementation(listGateways);
  ({ container, root } = mountRoot());
  await act(async () => root.render(<Page />));
  const select = container.querySelector('[data-testid="topup-method"]');
  const submit = container.querySelector('[data-testid="topup-submit"]');
  const hint = container.querySelector('[data-testid="topup-no-methods"]');
  return { select, submit, hint, options: [...select.options].map((o) => [o.value, o.textContent]) };
}

beforeEach(() => {
  vi.restoreAllMocks();
  forgetGateways();
});
afterEach(() => unmountRoot({ container, root }));

describe('top-up methods from GET /gateways', () => {
  it("offers the server's gateways in its order under its labels, the first chosen", async () => {
    const { select, submit, hint, options } = await renderWith(async () => ({ success: true, gateways: [BUILT_IN[1], BUILT_IN[2], FOURTH] }));
    expect(options).toEqual([
      ['paypal', 'PayPal'],
      ['google_pay', 'Google Pay'],
      ['upi_direct', 'UPI Direct'],
    ]);
    expect(select.value).toBe('paypal'); // razorpay is not offered: the first one is chosen
    expect(submit.disabled).toBe(false);
    expect(hint).toBeNull();
  });

  it('keeps the choice the customer made', async () => {
    const { select } = await renderWith(async () => ({ gateways: BUILT_IN }));
    expect(select.value).toBe('razorpay');
    await act(async () => {
      select.value = 'google_pay';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(select.value).toBe('google_pay');
  });

  it('offers nothing, and cannot top up, when the server lists no gateway', async () => {
    const { submit, hint, options } = await renderWith(async () => ({ gateways: [] }));
    expect(options).toEqual([]);
    expect(submit.disabled).toBe(true);
    expect(hint.textContent).toBe('No payment method is available right now.');
  });

  it('offers nothing, and cannot top up, when the server cannot be asked', async () => {
    const { submit, hint, options } = await renderWith(async () => {
      throw new Error('down');
    });
    expect(options).toEqual([]);
    expect(submit.disabled).toBe(true);
    expect(hint.textContent).toBe('No payment method is available right now.');
  });
});
