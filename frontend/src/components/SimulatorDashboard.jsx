import { useEffect, useState } from 'react';
import integrationService from '../services/integrationService.js';
import { checkAmount, formatMoney } from '../money.js';
import { gatewayLabel } from '../gateways.js';

// After an action the page reads the customer again until the ledger names its case (the simulator
// posts its webhook from a background thread), at most this often and this long.
const FOLLOW_POLL_MS = 500;
const FOLLOW_WAIT_MS = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The disputes opened and not resolved yet, kept for the tab (sessionStorage), so that a reload
// still offers Win and Lose: the ledger shows a dispute's hold, not the amount the gateway disputed.
const OPEN_DISPUTES_KEY = 'wallet_simulator_open_disputes';

function storedDisputes() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(OPEN_DISPUTES_KEY));
    return stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
  } catch {
    return {};
  }
}

// The credited top-ups among `transactions` whose gateway has a simulator dashboard (newest first).
export function dashboardTopups(transactions, gateways) {
  return (transactions || []).filter(
    (t) =>
      t.kind === 'topup' &&
      t.type === 'credit' &&
      t.reference?.gateway_payment_id &&
      gateways.some((g) => g.name === t.reference.gateway && g.simulatorDashboard),
  );
}

// Simulator mode only (a gateway describing `simulator_dashboard`): for each credited top-up in the
// customer's ledger as loaded, play its gateway's side — refund it, reverse it (where the gateway
// reverses payments), open a dispute, then win or lose it (by the id the dispute call answered) —
// then read the customer again (`refresh`: resolves to the support look-up). `act(action)` clears
// the earlier banners, then runs the action.
export default function SimulatorDashboard({ transactions, gateways, busy, act, setMessage, refresh }) {
  const [amounts, setAmounts] = useState({}); // payment id -> the amount typed (empty: the whole top-up)
  const [disputes, setDisputes] = useState(storedDisputes); // payment id -> {disputeId, amount}
  useEffect(() => {
    try {
      sessionStorage.setItem(OPEN_DISPUTES_KEY, JSON.stringify(disputes));
    } catch {
      // storage full or refused: the disputes stay in the page only
    }
  }, [disputes]);
  const topups = dashboardTopups(transactions, gateways);
  if (!gateways.some((g) => g.simulatorDashboard)) return null;

  // Read the customer again until the ledger has an entry of case `caseId` that `shows` accepts.
  async function follow(caseId, shows = () => true) {
    const deadline = Date.now() + FOLLOW_WAIT_MS;
    const seen = (found) => found?.transactions?.some((t) => t.reference?.case_id === caseId && shows(t));
    let found = await refresh();
    while (!seen(found) && Date.now() < deadline) {
      await sleep(FOLLOW_POLL_MS);
      found = await refresh();
    }
  }

  function perform(topup, what) {
    const { gateway, gateway_payment_id: paymentId } = topup.reference;
    const typed = (amounts[paymentId] || '').trim();
    act(async () => {
      const problem = typed ? checkAmount(typed, topup.currency) : null;
      if (problem) return setMessage({ kind: 'error', text: problem });
      const amount = typed || topup.amount;
      const money = formatMoney(Number(amount), topup.currency);
      const label = gatewayLabel(gateways, gateway);
      let caseId;
      let said;
      if (what === 'refund') {
        caseId = (await integrationService.simulatorRefund(gateway, paymentId, amount, topup.currency)).refund_id;
        said = `${label} refunded ${money} of payment ${paymentId} (refund ${caseId}).`;
      } else if (what === 'reverse') {
        caseId = (await integrationService.simulatorReverse(gateway, paymentId, amount, topup.currency)).reversal_id;
        said = `${label} reversed ${money} of payment ${paymentId} (reversal ${caseId}).`;
      } else {
        caseId = (await integrationService.simulatorOpenDispute(gateway, paymentId, amount, topup.currency)).dispute_id;
        setDisputes((open) => ({ ...open, [paymentId]: { disputeId: caseId, amount } }));
        said = `A dispute of ${money} was opened on payment ${paymentId} (dispute ${caseId}).`;
      }
      setMessage({ kind: 'info', text: `${said} The wallet follows ${label}'s webhook.` });
      await follow(caseId);
    });
  }

  function resolve(topup, outcome) {
    const { gateway, gateway_payment_id: paymentId } = topup.reference;
    const { disputeId, amount } = disputes[paymentId];
    act(async () => {
      await integrationService.simulatorResolveDispute(gateway, disputeId, { paymentId, amount, currency: topup.currency, outcome });
      setDisputes(({ [paymentId]: _closed, ...open }) => open);
      const money = formatMoney(Number(amount), topup.currency);
      setMessage({
        kind: 'info',
        text: `Dispute ${disputeId} ${outcome}: ${outcome === 'won' ? `its hold of ${money} is released` : `${gatewayLabel(gateways, gateway)} takes back ${money}`}. The wallet follows ${gatewayLabel(gateways, gateway)}'s webhook${outcome === 'won' ? '' : ': the ledger shows what it could take and what is owed'}.`,
      });
      // The dispute's hold names its id already: wait for what the outcome wrote (a release or a chargeback).
      await follow(disputeId, (t) => t.kind !== 'dispute_hold');
    });
  }

  return (
    <section className="card">
      <h2>Gateway simulator: after the credit</h2>
      <p className="hint">Test mode: play what a gateway&apos;s dashboard or the customer&apos;s bank does to a credited top-up. No real money moves.</p>
      {topups.length === 0 && <p className="empty">No credited top-up of a simulated gateway in the ledger shown.</p>}
      <ul className="orders topups-dashboard" data-testid="simulator-topups">
        {topups.map((t) => {
          const paymentId = t.reference.gateway_payment_id;
          const board = gateways.find((g) => g.name === t.reference.gateway).simulatorDashboard;
          const dispute = disputes[paymentId];
          return (
            <li key={t.transaction_id} data-payment-id={paymentId}>
              <span className="what">
                <strong>
                  {formatMoney(t.amount, t.currency)} via {gatewayLabel(gateways, t.reference.gateway)}
                </strong>
                <small>
                  payment {paymentId} · {t.reference.payment_order_id}
                  {dispute ? ` · dispute ${dispute.disputeId} open (${formatMoney(Number(dispute.amount), t.currency)})` : ''}
                </small>
              </span>
              <label>
                Amount (empty: {formatMoney(t.amount, t.currency)})
                <input
                  data-testid={`sim-amount-${paymentId}`}
                  inputMode="decimal"
                  autoComplete="off"
                  value={amounts[paymentId] || ''}
                  onChange={(e) => setAmounts((typed) => ({ ...typed, [paymentId]: e.target.value }))}
                />
              </label>
              <div className="actions">
                {board.refund && (
                  <button type="button" data-testid={`sim-refund-${paymentId}`} aria-label={`Refund at gateway: payment ${paymentId}`} disabled={busy} onClick={() => perform(t, 'refund')}>
                    Refund at gateway
                  </button>
                )}
                {board.reverse && (
                  <button type="button" data-testid={`sim-reverse-${paymentId}`} aria-label={`Reverse: payment ${paymentId}`} disabled={busy} onClick={() => perform(t, 'reverse')}>
                    Reverse
                  </button>
                )}
                {board.dispute && !dispute && (
                  <button type="button" data-testid={`sim-dispute-${paymentId}`} aria-label={`Open dispute: payment ${paymentId}`} disabled={busy} onClick={() => perform(t, 'dispute')}>
                    Open dispute
                  </button>
                )}
                {dispute && (
                  <>
                    <button type="button" data-testid={`sim-win-${paymentId}`} aria-label={`Win dispute: payment ${paymentId}`} disabled={busy} onClick={() => resolve(t, 'won')}>
                      Win dispute
                    </button>
                    <button type="button" className="secondary" data-testid={`sim-lose-${paymentId}`} aria-label={`Lose dispute: payment ${paymentId}`} disabled={busy} onClick={() => resolve(t, 'lost')}>
                      Lose dispute
                    </button>
                  </>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
