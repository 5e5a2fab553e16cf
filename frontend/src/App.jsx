import { useCallback, useEffect, useRef, useState } from 'react';
import integrationService from './services/integrationService.js';
import useSession from './hooks/useSession.js';
import useWallet from './hooks/useWallet.js';
import useGateways from './hooks/useGateways.js';
import usePaymentMethods from './hooks/usePaymentMethods.js';
import useGatewayReturn from './hooks/useGatewayReturn.js';
import useBusy from './hooks/useBusy.js';
import useCurrency from './hooks/useCurrency.js';
import MessageBox from './components/MessageBox.jsx';
import TopBar from './components/TopBar.jsx';
import BalanceCard from './components/BalanceCard.jsx';
import TopupForm from './components/TopupForm.jsx';
import PendingOrders from './components/PendingOrders.jsx';
import WithdrawForm from './components/WithdrawForm.jsx';
import Transactions from './components/Transactions.jsx';
import SupportView from './components/SupportView.jsx';
import { gatewayLabel } from './gateways.js';
import { saveCsv } from './saveCsv.js';
import { clearGatewayReturn, currentSession, readGatewayReturn, saveGatewayReturn } from './session.js';

const EXPIRED = 'Your sign-in has expired. Open the sign-in link again.';
const NOT_VALID = 'This sign-in is not valid. Open the sign-in link printed by the server again.';
const SIGNED_IN_SINCE = 'You signed in again in another tab, so this page now uses that sign-in. If something did not finish, try it again.';
const BAD_LINK = 'That sign-in link is not valid (it may have been cut short). Open the whole link printed by the server.';

// What the signed-out page says first: about the link it was opened with or an expired sign-in.
function signedOutMessage(session, linkInvalid) {
  if (linkInvalid) return { kind: 'error', text: BAD_LINK };
  if (session?.expired) return { kind: 'error', text: EXPIRED };
  return null;
}

// A payment the signed-out page came back from (read by the server's `gateways`): kept, taken out
// of the URL, and confirmed once the customer signs in; what to say, or null when there is none.
function keepSignedOutReturn(gateways) {
  const back = readGatewayReturn(gateways);
  if (!back) return null;
  saveGatewayReturn(back);
  clearGatewayReturn(gateways);
  return {
    kind: 'info',
    text:
      `You are back from ${back.method ? gatewayLabel(gateways, back.method) : 'the payment page'}, but this browser is not signed in. ` +
      'Open your sign-in link: this page will then tell you whether your top-up was credited. ' +
      'A completed payment is credited to your wallet either way.',
  };
}

export default function App() {
  const { session: stored, linkInvalid, signOut, refused } = useSession();
  const session = stored && !stored.expired ? stored : null;
  const [message, setMessage] = useState(() => signedOutMessage(stored, linkInvalid));
  const { gateways, currencies, loaded } = useGateways();

  // Signed out (or expired) and back from a payment: that comes first.
  useEffect(() => {
    if (!loaded || session) return;
    const said = keepSignedOutReturn(gateways);
    if (said) setMessage(said);
  }, [loaded]); // once, when the gateways are known (session and gateways are read then)

  // A refused token (forged, expired, from another server) signs out: no forms without a sign-in.
  // Only the token the refused request carried, though: a sign-in made since (another tab) stays.
  const onError = useCallback(
    (err) => {
      if (err?.status !== 401) {
        setMessage({ kind: 'error', text: err.message });
      } else if (refused(err.token)) {
        setMessage({ kind: 'error', text: err.code === 'token_expired' ? EXPIRED : NOT_VALID });
      } else {
        setMessage(currentSession() ? { kind: 'info', text: SIGNED_IN_SINCE } : null);
      }
    },
    [refused],
  );

  function onSignOut() {
    signOut();
    setMessage(null);
  }

  if (!session) {
    return (
      <main className="page">
        <h1>Wallet</h1>
        <MessageBox message={message} signedIn={false} />
      </main>
    );
  }
  return (
    <main className="page">
      <TopBar customerId={session.customerId} role={session.role} onSignOut={onSignOut} />
      <MessageBox message={message} signedIn />
      {/* keyed by the token: a sign-in taken up from another tab starts the page afresh */}
      {session.role === 'admin' ? (
        <AdminPage key={session.token} gateways={gateways} currencies={currencies} onError={onError} setMessage={setMessage} />
      ) : (
        <CustomerPage
          key={session.token}
          customerId={session.customerId}
          gateways={gateways}
          currencies={currencies}
          loaded={loaded}
          onError={onError}
          setMessage={setMessage}
        />
      )}
    </main>
  );
}

function AdminPage({ gateways, currencies, onError, setMessage }) {
  const { busy, run } = useBusy(onError);
  return <SupportView busy={busy} run={run} setMessage={setMessage} onError={onError} gateways={gateways} currencies={currencies} />;
}

// The wallet of the currency chosen (`currencies`: the server's; one wallet per currency): its balance,
// history, statement and withdrawals, top-ups through the gateways taking that currency. Orders are
// paid in their own currencies. A wallet shown before is read again when another currency is chosen.
function CustomerPage({ customerId, gateways, currencies, loaded, onError, setMessage }) {
  const { currency, choose } = useCurrency(currencies);
  const { wallet, transactions, hasOlder, loadStatus, loadOlder } = useWallet(customerId, currency);
  const { busy, run } = useBusy(onError);
  const { methods, method, setMethod } = usePaymentMethods(gateways, currency);
  useGatewayReturn({ customerId, gateways, loaded, refresh: loadStatus, setMessage, onError });

  // Another currency chosen: read its wallet. The server's currencies arriving (null to its default)
  // is no choice: useGatewayReturn makes that first read.
  const shown = useRef(currency);
  useEffect(() => {
    if (shown.current === currency) return;
    const first = shown.current === null;
    shown.current = currency;
    if (!first) run(loadStatus);
  }, [currency, loadStatus, run]);

  function download() {
    run(async () => {
      const { text, filename } = await integrationService.downloadStatement(customerId, { currency: currency || wallet?.currency });
      saveCsv(text, filename);
    });
  }

  return (
    <>
      <BalanceCard wallet={wallet} currencies={currencies} currency={currency} onCurrencyChange={choose} />
      <div className="forms">
        <TopupForm
          customerId={customerId}
          wallet={wallet}
          currency={currency}
          methods={methods}
          method={method}
          loaded={loaded}
          onMethodChange={setMethod}
          busy={busy}
          run={run}
          setMessage={setMessage}
          onError={onError}
        />
        <PendingOrders
          customerId={customerId}
          busy={busy}
          run={run}
          setMessage={setMessage}
          onPaid={loadStatus}
          onError={onError}
        />
        <WithdrawForm
          customerId={customerId}
          wallet={wallet}
          currency={currency}
          gateways={gateways}
          busy={busy}
          run={run}
          setMessage={setMessage}
          onDone={loadStatus}
          onError={onError}
        />
      </div>
      <Transactions
        transactions={transactions}
        gateways={gateways}
        hasOlder={hasOlder}
        onLoadOlder={() => run(loadOlder)}
        onDownload={download}
        busy={busy}
      />
    </>
  );
}
