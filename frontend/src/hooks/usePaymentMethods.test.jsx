import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import integrationService from '../services/integrationService.js';
import usePaymentMethods from './usePaymentMethods.js';
import TopupForm from '../components/TopupForm.jsx';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

function Page() {
  const { methods, method, setMethod } = usePaymentMethods();
  return (
    <TopupForm
      customerId="cust_1"
      methods={methods}
      method={method}
      onMethodChange={setMethod}
      run={() => {}}
      setMessage={() => {}}
    />
  );
}

let container;
let root;

async function renderWith(health) {
  vi.spyOn(integrationService, 'healthCheck').mockImplementation(health);
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  await act(async () => root.render(<Page />));
  const select = container.querySelector('[data-testid="topup-method"]');
  return { select, options: [...select.options].map((o) => [o.value, o.textContent]) };
}

beforeEach(() => vi.restoreAllMocks());
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('top-up methods from /health', () => {
  it('offers the gateways the server lists, an unknown one under its own name', async () => {
    const { select, options } = await renderWith(async () => ({ features: { gateways: ['google_pay', 'paypal', 'stripe'] } }));
    expect(options).toEqual([
      ['paypal', 'PayPal'],
      ['google_pay', 'Google Pay'],
      ['stripe', 'stripe'],
    ]);
    expect(select.value).toBe('paypal'); // razorpay is not offered: the first one is chosen
  });

  const known = [
    ['razorpay', 'Razorpay'],
    ['paypal', 'PayPal'],
    ['google_pay', 'Google Pay'],
  ];

  it('keeps the known gateways when /health lists none', async () => {
    const { select, options } = await renderWith(async () => ({ features: { gateways: [] } }));
    expect(options).toEqual(known);
    expect(select.value).toBe('razorpay');
  });

  it('keeps the known gateways when /health fails', async () => {
    const { options } = await renderWith(async () => {
      throw new Error('down');
    });
    expect(options).toEqual(known);
  });
});
