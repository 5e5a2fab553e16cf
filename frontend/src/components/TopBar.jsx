// The page title with the signed-in customer and the sign-out button.
export default function TopBar({ customerId, onSignOut }) {
  return (
    <header className="top">
      <h1>Wallet</h1>
      <span className="who">
        {customerId}{' '}
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </span>
    </header>
  );
}
