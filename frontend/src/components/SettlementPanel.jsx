import { useState } from 'react';
import integrationService from '../services/integrationService.js';
import { formatMoney } from '../money.js';
import { countOf } from '../wording.js';
import { gatewayLabel } from '../gateways.js';
import { saveCsv } from '../saveCsv.js';
import { exceptionMeaning, exceptionOutcome, openFirst, yesterdayUtc } from '../settlement.js';

const FIGURES = [
  ['captured', 'Captured', 'payments the gateway captured'],
  ['refunded', 'Refunded', 'refunds the gateway made'],
  ['fees', 'Fees', "the gateway's fees"],
  ['tax', 'Tax', 'tax on those fees'],
  ['settled', 'Settled', 'paid out: captured less refunds, fees and tax'],
];

// One settled day: its figures, then its exceptions (open ones first), each said in words.
function SettledDay({ day, gateways }) {
  // A day that refunded more than it captured settles below zero: said with a minus sign, as the ledger does.
  const money = (amount) =>
    amount == null ? '—' : `${amount < 0 ? '−' : ''}${formatMoney(Math.abs(amount), day.currency)}`;
  const open = day.exceptions.filter((e) => e.status !== 'resolved').length;
  const healed = day.exceptions.length - open;
  return (
    <>
      <h3 data-testid="settlement-day">
        {gatewayLabel(gateways, day.gateway)}, {day.date}
      </h3>
      <dl className="figures" data-testid="settlement-figures">
        {FIGURES.map(([name, label, meaning]) => (
          <div key={name} data-testid={`settlement-${name}`}>
            <dt>{label}</dt>
            <dd>
              <strong>{money(day[name])}</strong> <small>{meaning}</small>
            </dd>
          </div>
        ))}
        <div data-testid="settlement-matched">
          <dt>Matched</dt>
          <dd>
            <strong>{day.matched}</strong> <small>payments and refunds that match the wallet&apos;s ledger</small>
          </dd>
        </div>
      </dl>
      <p className={`message ${open ? 'error' : 'success'}`} data-testid="settlement-summary">
        {day.exceptions.length === 0
          ? 'No exceptions: everything in the report matches the ledger.'
          : `${countOf(open, 'exception needs', 'exceptions need')} a person · ${healed} healed automatically.`}
      </p>
      <ul className="audit" data-testid="settlement-exceptions">
        {openFirst(day.exceptions).map((e, i) => (
          <li key={`${e.kind}-${e.payment_id}-${i}`} data-kind={e.kind} data-status={e.status}>
            <strong>{exceptionMeaning(e.kind)}.</strong>{' '}
            <span className={`outcome ${e.status === 'resolved' ? '' : 'rejected'}`}>{exceptionOutcome(e)}</span>
            <small>
              {[
                e.payment_id && `Payment ${e.payment_id}`,
                e.payment_order_id && `top-up ${e.payment_order_id}`,
                e.gateway_amount != null && `gateway ${money(e.gateway_amount)}`,
                e.ledger_amount != null && `wallet ${money(e.ledger_amount)}`,
                e.rows != null && `${e.rows} ${e.rows === 1 ? 'row' : 'rows'} unread`,
              ]
                .filter(Boolean)
                .join(' · ')}
            </small>
          </li>
        ))}
      </ul>
    </>
  );
}

// Support (admin): a gateway's settled day (SPEC §11): pick the gateway and the day (yesterday, UTC,
// to begin with), show what settling found, settle it now, download its exceptions as CSV; a day
// not settled yet says so. `gateways`: the server's; those it says have no settlement reports are
// not offered (any other refusal is the server's message). `act(action)` clears the earlier banners, then runs it.
export default function SettlementPanel({ gateways: offered = [], busy, act, setMessage }) {
  const gateways = offered.filter((g) => g.settlement);
  const [chosen, setChosen] = useState(null);
  const [date, setDate] = useState(() => yesterdayUtc());
  const [shown, setShown] = useState(null); // {day} or {unsettled: {gateway, date}}
  const gateway = chosen ?? gateways[0]?.name ?? '';
  const label = gatewayLabel(gateways, gateway);

  function choose(set, value) {
    set(value);
    setShown(null); // never show one day's figures under another
  }

  function show(e) {
    e.preventDefault();
    act(async () => {
      try {
        setShown({ day: await integrationService.getSettlement(gateway, date) });
      } catch (err) {
        setShown(err.code === 'not_settled' ? { unsettled: { gateway, date } } : null);
        if (err.code !== 'not_settled') throw err;
      }
    });
  }

  function settle() {
    act(async () => {
      const day = await integrationService.settleDay(gateway, date);
      setShown({ day });
      const open = day.exceptions.filter((x) => x.status !== 'resolved').length;
      setMessage({
        kind: open ? 'error' : 'success',
        text: `Settled ${label}'s report for ${date}: ${open ? `${countOf(open, 'exception needs', 'exceptions need')} a person.` : 'nothing needs a person.'}`,
      });
    });
  }

  function downloadCsv() {
    act(async () => {
      const { text, filename } = await integrationService.downloadSettlementCsv(shown.day.gateway, shown.day.date);
      saveCsv(text, filename);
    });
  }

  return (
    <section className="card" data-testid="settlement">
      <h2>Settlement</h2>
      <p className="hint">
        What a gateway&apos;s report for a day says it captured, refunded and paid out, matched to the wallet&apos;s ledger.
      </p>
      <form onSubmit={show}>
        <label>
          Gateway
          <select data-testid="settlement-gateway" value={gateway} disabled={busy} onChange={(e) => choose(setChosen, e.target.value)}>
            {gateways.map((g) => (
              <option key={g.name} value={g.name}>
                {g.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Day (UTC)
          <input type="date" data-testid="settlement-date" value={date} disabled={busy} onChange={(e) => choose(setDate, e.target.value)} />
        </label>
        <div className="order-actions">
          <button type="submit" data-testid="settlement-show" disabled={busy || !gateway}>
            Show
          </button>
          <button type="button" className="secondary" data-testid="settlement-settle" disabled={busy || !gateway} onClick={settle}>
            Settle now
          </button>
        </div>
      </form>
      {shown?.unsettled && (
        <p className="empty" data-testid="settlement-not-settled">
          Not settled yet: {gatewayLabel(gateways, shown.unsettled.gateway)}&apos;s report for {shown.unsettled.date} has
          not been settled. Settle now to fetch it and match it to the ledger.
        </p>
      )}
      {shown?.day && (
        <>
          <SettledDay day={shown.day} gateways={gateways} />
          <button type="button" className="link" data-testid="settlement-csv" disabled={busy} onClick={downloadCsv}>
            Download the exceptions (CSV)
          </button>
        </>
      )}
    </section>
  );
}
