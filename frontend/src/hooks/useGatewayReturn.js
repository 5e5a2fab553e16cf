import { useEffect, useRef } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';
import {
  clearGatewayReturn,
  currentSession,
  readGatewayReturn,
  rememberAnnouncedTopup,
  takeSavedGatewayReturn,
  wasAnnouncedTopup,
} from '../session.js';

const PAYMENT_ERRORS = {
  payment_failed: 'The payment did not go through. Nothing was added to your wallet.',
  payment_rejected: 'The payment was refused. Nothing was added to your wallet.',
  cancelled: 'The payment was cancelled. Nothing was added to your wallet.',
  already_paid: 'This top-up was already paid, so this payment was not charged. Nothing more was added to your wallet.',
};

// A gateway whose checkout page sends the payment itself (`await_credit`, e.g. Google Pay's token):
// the service credits the wallet; a simulator may send it from a background thread, so the credit
// can land just after we are back.
const CREDIT_POLL_MS = 500;
const CREDIT_WAIT_MS = 15000;
// A credit older than this when we come back is an earlier one, not this visit's (nor is one this
// tab has announced already: Back to the gateway's page and Pay again, however soon).
const FRESH_CREDIT_MS = 5 * 60 * 1000;
const RETURN_KINDS = ['verify', 'await_credit', 'error'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'earlier' : `on ${d.toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' })}`;
}

// The top-up's state ({status: credited|pending|failed|expired, …}), or null when it cannot be read.
async function topupState(orderId) {
  if (!orderId) return null;
  try {
    return await integrationService.getTopupStatus(orderId);
  } catch (err) {
    if (err.status === 401) throw err;
    return null;
  }
}

// What of top-up `orderId` paid the wallet's debt (§9: a credit to a wallet in debt pays it first),
// from the status's newest entries: its credit's `debt_repayment`, or null.
function debtRepaid(orderId, transactions) {
  const entries = Array.isArray(transactions) ? transactions : [];
  const credit = entries.find((t) => t.kind === 'topup' && t.reference?.payment_order_id === orderId);
  const repayment = credit && entries.find((t) => t.kind === 'debt_repayment' && t.reference?.credit_entry_id === credit.transaction_id);
  return repayment && repayment.amount > 0 ? repayment.amount : null;
}

// What to say about a gateway return, given the verify answer or the top-up's state (`status`: the
// wallet's, read after it). The top-up `orderId` is then remembered as announced, so that no later
// return says it again.
function credited(orderId, amount, currency, balance, status) {
  rememberAnnouncedTopup(orderId);
  const repaid = debtRepaid(orderId, status?.recent_transactions);
  const owed = repaid === null ? '' : `; ${formatMoney(repaid, currency)} of it paid what your wallet owed`;
  return {
    kind: 'success',
    text: `Top-up successful: ${formatMoney(amount, currency)} added${owed}. New balance ${formatMoney(balance, currency)}.`,
  };
}
// Verify's `second_payment_refund`: how the refund of the second payment stands.
const SECOND_PAYMENT_REFUND = {
  processed: 'has been refunded to you',
  failed: 'could not be refunded automatically: contact support to get it back',
};
function secondPaymentWords(refundStatus) {
  return SECOND_PAYMENT_REFUND[refundStatus] || 'is being refunded to you';
}
function creditedEarlier(orderId, state, balance, currency, what) {
  rememberAnnouncedTopup(orderId);
  return {
    kind: 'info',
    text:
      `This top-up of ${formatMoney(state.amount, state.currency)} was already credited ${when(state.credited_at)}; ` +
      `${what}. Balance ${formatMoney(balance, currency)}.`,
  };
}

// On load, once the server has described its gateways (`gateways`, `loaded`: useGateways): finish a
// gateway return — from the URL, or one kept while signed out — then show the wallet. `verify`:
// call verify with the return's fields (it says whether this payment is the credit); `await_credit`:
// wait for the credit; Fail/cancel, or Pay on a top-up paid already (`already_paid`): say nothing
// was added unless the top-up was credited before.
export default function useGatewayReturn({ customerId, gateways, loaded, refresh, setMessage, onError }) {
  const started = useRef(false);

  useEffect(() => {
    if (!customerId || !loaded || started.current) return;
    started.current = true;
    const fromUrl = readGatewayReturn(gateways);
    if (fromUrl) clearGatewayReturn(gateways);
    const back = fromUrl || takeSavedGatewayReturn();
    (async () => {
      try {
        if (!RETURN_KINDS.includes(back?.kind)) {
          await refresh(); // no return (or one kept in a form this page no longer reads)
          return;
        }
        if (back.kind !== 'error') setMessage({ kind: 'info', text: 'Confirming your payment…' });
        if (back.kind === 'verify') {
          let verified = null;
          let failure = null;
          try {
            verified = await integrationService.verifyWalletTopup(null, back.orderId, null, back.method, back.fields || {});
          } catch (err) {
            if (err.status === 401) throw err;
            failure = err;
          }
          const status = await refresh();
          const balance = status.wallet?.balance;
          const currency = status.wallet?.currency;
          if (verified?.already_credited) {
            // A second payment (Razorpay's second Pay makes one) is refunded; PayPal captures an order once.
            const gateway = gateways.find((g) => g.name === back.method);
            const charges = gateway?.checkoutReturn.payAgainCharges;
            let what = charges ? 'this second payment added nothing to your wallet' : 'nothing more was added to your wallet';
            if (verified.second_payment_refund != null) {
              what += `; ${charges ? 'it' : 'this second payment'} ${secondPaymentWords(verified.second_payment_refund)}`;
            }
            const state = (await topupState(back.orderId)) || { amount: verified.amount, currency };
            setMessage(creditedEarlier(back.orderId, state, balance, currency, what));
          } else if (verified) {
            setMessage(credited(back.orderId, verified.amount ?? 0, verified.currency || currency, verified.wallet_balance, status));
          } else {
            const state = await topupState(back.orderId);
            if (state?.status === 'credited' && wasAnnouncedTopup(back.orderId)) {
              setMessage(creditedEarlier(back.orderId, state, balance, currency, 'nothing more was added to your wallet'));
            } else if (state?.status === 'credited') {
              rememberAnnouncedTopup(back.orderId);
              setMessage({ kind: 'success', text: `Your top-up of ${formatMoney(state.amount, state.currency)} is credited. Balance ${formatMoney(balance, currency)}.` });
            } else {
              setMessage({ kind: 'error', text: failure.message });
            }
          }
        } else if (back.kind === 'await_credit') {
          const deadline = Date.now() + CREDIT_WAIT_MS;
          let state = await topupState(back.orderId);
          while (state?.status === 'pending' && Date.now() < deadline) {
            await sleep(CREDIT_POLL_MS);
            if (currentSession()?.customerId !== customerId) return; // signed out meanwhile
            state = await topupState(back.orderId);
          }
          const status = await refresh();
          const balance = status.wallet?.balance;
          const currency = status.wallet?.currency;
          if (state?.status === 'credited') {
            const fresh = Date.now() - new Date(state.credited_at).getTime() < FRESH_CREDIT_MS && !wasAnnouncedTopup(back.orderId);
            setMessage(fresh ? credited(back.orderId, state.amount, state.currency, balance, status)
              : creditedEarlier(back.orderId, state, balance, currency, 'nothing more was added to your wallet'));
          } else if (state?.status === 'failed' || state?.status === 'expired') {
            setMessage({ kind: 'error', text: PAYMENT_ERRORS.payment_failed });
          } else {
            setMessage({
              kind: 'info',
              text: 'Your payment is still being confirmed. Reload the page in a moment to see it in your wallet.',
            });
          }
        } else if (back.kind === 'error') {
          const state = await topupState(back.orderId);
          const status = await refresh();
          if (state?.status === 'credited') {
            const what = back.error === 'already_paid' ? 'this second payment was not charged and added nothing'
              : 'this attempt changed nothing';
            setMessage(creditedEarlier(back.orderId, state, status.wallet?.balance, status.wallet?.currency, what));
          } else {
            setMessage({ kind: 'error', text: PAYMENT_ERRORS[back.error] || 'The payment did not go through.' });
          }
        }
      } catch (err) {
        onError(err);
      }
    })();
  }, [customerId, gateways, loaded, refresh, setMessage, onError]);
}
