// Small pieces of page text.

// "1 refund", "0 refunds", "22 top-ups".
export function countOf(count, noun, plural = `${noun}s`) {
  return `${count} ${count === 1 ? noun : plural}`;
}

// The non-empty pieces of `parts`, each once, in order (a row's details, where two fields may say the same).
export function distinct(parts) {
  return [...new Set(parts.filter((p) => p || p === 0))];
}
