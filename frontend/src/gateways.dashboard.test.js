import { describe, expect, it } from 'vitest';
import { readGateways } from './gateways.js';
import { BUILT_IN } from './gateways.fixture.js';

describe('simulator dashboards', () => {
  it("reads a gateway's simulator_dashboard (simulator mode) and leaves it out where not described", () => {
    const [razorpay, paypal] = readGateways({
      gateways: [
        { ...BUILT_IN[0], simulator_dashboard: { refund: true, reverse: false, dispute: true } },
        BUILT_IN[1],
      ],
    });
    expect(razorpay.simulatorDashboard).toEqual({ refund: true, reverse: false, dispute: true });
    expect('simulatorDashboard' in paypal).toBe(false);
  });

  it('takes only true as offered', () => {
    const [gateway] = readGateways({ gateways: [{ name: 'x', simulator_dashboard: { refund: 'yes', reverse: 1, dispute: true } }] });
    expect(gateway.simulatorDashboard).toEqual({ refund: false, reverse: false, dispute: true });
  });
});
