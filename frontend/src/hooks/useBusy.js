import { useState } from 'react';

// `run(action)`: busy while the action runs; a failure goes to `onError`.
export default function useBusy(onError) {
  const [busy, setBusy] = useState(false);

  async function run(action) {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  }

  return { busy, run };
}
