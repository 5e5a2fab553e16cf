// The page title with the signed-in user (and, for support staff, their view) and the sign-out button.
export default function TopBar({ customerId, role, onSignOut }) {
  return (
    <header className="top">
      <h1>{role === 'admin' ? 'Wallet support' : 'Wallet'}</h1>
      <span className="who" data-testid="who">
        {customerId}
        {role === 'admin' ? ' (support)' : ''}{' '}
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </span>
    </header>
  );
}
