// The React root each component test renders into: a fresh container in the document per test,
// unmounted and removed after it.
import { act } from 'react';
import { createRoot } from 'react-dom/client';

export function mountRoot() {
  const container = document.createElement('div');
  document.body.append(container);
  return { container, root: createRoot(container) };
}

export function unmountRoot({ container, root }) {
  act(() => root.unmount());
  container.remove();
}
