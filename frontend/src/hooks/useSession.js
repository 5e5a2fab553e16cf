import { useCallback, useState } from 'react';
import { currentSession, signOut, takeTokenFromUrl } from '../session.js';

function initialSession() {
  takeTokenFromUrl();
  return currentSession();
}

// The signed-in customer ({token, customerId, expired}, or null) and a way to sign out.
export default function useSession() {
  const [session, setSession] = useState(initialSession);
  const endSession = useCallback(() => {
    signOut();
    setSession(null);
  }, []);
  return { session, signOut: endSession };
}
