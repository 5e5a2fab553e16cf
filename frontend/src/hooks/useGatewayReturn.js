import { useEffect, useRef } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';
import { clearGatewayReturn, currentSession, readGatewayReturn, topupCredited } from '../session.js';

const PAYMENT_ERRORS = {
  payment_failed: 'The payment did not go through. Nothing was added to your wallet.',
  cancelled: 'The payment was cancelled. Nothing was added to your wallet.',
};

// Google Pay: the checkout page has sent the token to the service, which credits the wallet; the
// simulator sends it from a background thread, so the credit can land just after we are back.
const CREDIT_POLL_MS = 500;
const CREDIT_WAIT_MS = 15000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// On load: finish a gateway return if there is one (verify Razorpay/PayPal, wait for the Google Pay
// credit, or show the payment error), then show the wallet. Runs once per page load.
export default function useGatewayReturn({ session, loadStatus, setMessage }) {
  const started = useRef(false);
  const customerId = session?.customerId;

  useEffect(() => {
    if (!customerId || session.expired || started.current) return;
    started.current = true;
    const back = readGatewayReturn();
    const showError = (err) => setMessage({ kind: 'error', text: err.message });
    const showCredit = (balance, currency) =>
      setMessage({ kind: 'success', text: `Top-up successful. New balance ${formatMoney(balance, currency)}.` });
    (async () => {
      let verified = null;
      try {
        if (back?.kind === 'razorpay') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
          verified = await integrationService.verifyWalletTopup(back.paymentId, back.orderId, back.signature);
        } else if (back?.kind === 'paypal') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
          verified = await integrationService.verifyWalletTopup(null, back.orderId, null, 'paypal');
        } else if (back?.kind === 'google_pay') {
          setMessage({ kind: 'info', text: 'Confirming your payment…' });
        } else if (back?.kind === 'error') {
          setMessage({ kind: 'error', text: PAYMENT_ERRORS[back.error] || 'The payment did not go through.' });
        }
      } catch (err) {
        showError(err);
      }
      if (back) clearGatewayReturn();
      try {
        let status = await loadStatus();
        if (verified) {
          showCredit(verified.wallet_balance, verified.currency || status.wallet?.currency);
        } else if (back?.kind === 'google_pay') {
          const deadline = Date.now() + CREDIT_WAIT_MS;
          while (!topupCredited(status, back.orderId) && Date.now() < deadline) {
            await sleep(CREDIT_POLL_MS);
            if (currentSession()?.customerId !== customerId) return; // signed out meanwhile
            status = await loadStatus();
          }
          if (topupCredited(status, back.orderId)) {
            showCredit(status.wallet?.balance, status.wallet?.currency);
          } else {
            setMessage({
              kind: 'info',
              text: 'Your payment is still being confirmed. Reload the page in a moment to see it in your wallet.',
            });
          }
        }
      } catch (err) {
        showError(err);
      }
    })();
  }, [customerId, session, loadStatus, setMessage]);
}
