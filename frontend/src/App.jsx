import { useState } from 'react';
import useSession from './hooks/useSession.js';
import useWallet from './hooks/useWallet.js';
import usePaymentMethods from './hooks/usePaymentMethods.js';
import useGatewayReturn from './hooks/useGatewayReturn.js';
import useBusy from './hooks/useBusy.js';
import MessageBox from './components/MessageBox.jsx';
import TopBar from './components/TopBar.jsx';
import BalanceCard from './components/BalanceCard.jsx';
import TopupForm from './components/TopupForm.jsx';
import PayForm from './components/PayForm.jsx';
import Transactions from './components/Transactions.jsx';

export default function App() {
  const { session, signOut } = useSession();
  const customerId = session?.customerId;
  const { wallet, transactions, loadStatus, clearWallet } = useWallet(customerId);
  const [message, setMessage] = useState(
    session?.expired ? { kind: 'error', text: 'Your sign-in has expired. Open the sign-in link again.' } : null,
  );
  const { busy, run } = useBusy((err) => setMessage({ kind: 'error', text: err.message }));
  const { methods, method, setMethod } = usePaymentMethods();
  useGatewayReturn({ session, loadStatus, setMessage });

  function onSignOut() {
    signOut();
    clearWallet();
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
      <TopBar customerId={customerId} onSignOut={onSignOut} />
      <MessageBox message={message} signedIn />
      <BalanceCard wallet={wallet} />
      <div className="forms">
        <TopupForm
          customerId={customerId}
          methods={methods}
          method={method}
          onMethodChange={setMethod}
          busy={busy}
          run={run}
          setMessage={setMessage}
        />
        <PayForm
          customerId={customerId}
          currency={wallet?.currency}
          busy={busy}
          run={run}
          setMessage={setMessage}
          onPaid={loadStatus}
        />
      </div>
      <Transactions transactions={transactions} />
    </main>
  );
}
