import { useCallback, useState } from 'react';
import { currentSession, signOut, takeTokenFromUrl } from '../session.js';

function initialState() {
  const link = takeTokenFromUrl(); // 'taken', 'invalid' or null
  return { session: currentSession(), linkInvalid: link === 'invalid' };
}

// The signed-in user ({token, customerId, expired, role}, or null), whether the page was opened
// with a sign-in link that is not valid, and a way to sign out.
export default function useSession() {
  const [state, setState] = useState(initialState);
  const endSession = useCallback(() => {
    signOut();
    setState((s) => ({ ...s, session: null }));
  }, []);
  return { session: state.session, linkInvalid: state.linkInvalid, signOut: endSession };
}
