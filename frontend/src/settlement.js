// A settled day (SPEC §11) in words: which day to show first, and what each exception means and
// whether it healed by itself or needs a person.

const DAY_MS = 24 * 60 * 60 * 1000;

// The day before `now`'s UTC day, as YYYY-MM-DD (the worker settles it each day).
export function yesterdayUtc(now = new Date()) {
  return new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
}

// kind -> [what the gateway and the wallet disagreed on, whether settling heals it by itself]
const KINDS = {
  captured_not_credited: ['The gateway captured this payment, but the wallet was never credited', true],
  refund_not_applied: ['The gateway refunded this payment, but the wallet had not taken the money back', true],
  credited_not_captured: ['The wallet was credited, but no report of the gateway lists the payment', false],
  amount_mismatch: ["The gateway's amount differs from the top-up's", false],
  unknown_payment: ['The gateway lists a payment that matches no top-up here', false],
  unreadable_rows: ["Rows of the gateway's report could not be read, so they were matched to nothing", false],
};

// What an exception of `kind` means, in a sentence without its full stop (an unknown kind as is).
export function exceptionMeaning(kind) {
  return KINDS[kind]?.[0] ?? kind;
}

// What became of it: healed automatically (resolved), or still open for a person, in words.
export function exceptionOutcome({ kind, status }) {
  if (status === 'resolved') {
    if (KINDS[kind]?.[1]) return 'Healed automatically: the wallet now matches the gateway.';
    return kind === 'credited_not_captured' ? 'Resolved: a later report of the gateway listed it.' : 'Resolved.';
  }
  return KINDS[kind]?.[1]
    ? 'Needs a person: settling could not heal it automatically.'
    : 'Needs a person: check it with the gateway and the customer.';
}

// The exceptions, the open ones first (each group in the server's order).
export function openFirst(exceptions) {
  const open = (e) => e.status !== 'resolved';
  return [...exceptions.filter(open), ...exceptions.filter((e) => !open(e))];
}
