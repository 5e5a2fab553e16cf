import { useEffect, useId, useRef } from 'react';

// A confirmation's question, focused when it appears (`active`), so that a keyboard or screen-reader
// user lands on what is asked, not on the button that does it: {ref, id} for the question's element
// (with tabIndex -1), `id` for the confirm button's aria-describedby.
export function useFocusOn(active) {
  const ref = useRef(null);
  const id = useId();
  useEffect(() => {
    if (active) ref.current?.focus();
  }, [active]);
  return { ref, id };
}
