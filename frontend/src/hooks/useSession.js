import { useCallback, useState } from 'react';
import { currentSession, signOut, signOutIfStored, takeTokenFromUrl } from '../session.js';

function initialState() {
  const link = takeTokenFromUrl(); // 'taken', 'invalid' or null
  return { session: currentSession(), linkInvalid: link === 'invalid' };
}

// The signed-in user ({token, customerId, expired, role}, or null), whether the page was opened
// with a sign-in link that is not valid, a way to sign out, and `refused(token)` for a 401 to a
// request that carried `token`: signs out only if that is the stored token (true), else takes up
// the sign-in stored since (another tab's) and answers false.
export default function useSession() {
  const [state, setState] = useState(initialState);
  const endSession = useCallback(() => {
    signOut();
    setState((s) => ({ ...s, session: null }));
  }, []);
  const refused = useCallback((token) => {
    const signedOut = signOutIfStored(token);
    setState((s) => ({ ...s, session: signedOut ? null : currentSession() }));
    return signedOut;
  }, []);
  return { session: state.session, linkInvalid: state.linkInvalid, signOut: endSession, refused };
}
