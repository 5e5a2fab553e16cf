// The status line: the current message, or the sign-in hint when signed out.
export default function MessageBox({ message, signedIn }) {
  return (
    <p data-testid="message" className={`message ${message?.kind || ''}`} role="status" aria-live="polite">
      {message?.text || (!signedIn ? 'Sign in with the link printed by the server.' : '')}
    </p>
  );
}
