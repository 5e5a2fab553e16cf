// What the browser tests share: Chromium's path and flags, a real backend (`python -m backend`:
// embedded store, simulator gateways, demo data) on a free port, stopped after the file's tests,
// calls to its API, and waiting for the page's message.
import { after } from 'node:test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// playwright-core is a devDependency of frontend/, so resolve it from there.
export const { chromium } = createRequire(path.join(ROOT, 'frontend', 'package.json'))('playwright-core');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 180_000);
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function python() {
  const py = process.env.PY;
  if (py) return py.includes('/') ? path.resolve(ROOT, py) : py;
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let backend = null;
let backendLog = '';

const running = () => backend && backend.exitCode === null && backend.signalCode === null;

function killBackend(signal) {
  if (!running()) return;
  try {
    process.kill(-backend.pid, signal); // its own process group (detached)
  } catch {
    /* already gone */
  }
}
process.on('exit', () => killBackend('SIGKILL'));

after(async () => {
  if (!backend) return;
  const done = new Promise((r) => (running() ? backend.once('exit', r) : r()));
  killBackend('SIGTERM');
  await Promise.race([done, sleep(5000)]);
  killBackend('SIGKILL');
});

// Start the backend on `port` (with `env` added to this process's); resolves once it printed its
// sign-in link and answers /health: {signInUrl, adminToken, adminSignInUrl} (the admin token and the
// admin's sign-in link it printed, or null).
export async function startBackend(port, env = {}) {
  const environment = { ...process.env, PORT: String(port), HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, PYTHONUNBUFFERED: '1', ...env };
  for (const name of ['MONGODB_URI', 'APP_ENV', 'GATEWAY_MODE']) delete environment[name];
  backend = spawn(python(), ['-m', 'backend'], { cwd: ROOT, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => backend.once('exit', (code, signal) => resolve({ code, signal })));
  let signInUrl = null;
  let adminToken = null;
  let adminSignInUrl = null;
  const onData = (chunk) => {
    backendLog = (backendLog + chunk.toString()).slice(-20_000);
    const complete = backendLog.split('\n').slice(0, -1); // a token may be cut between chunks
    const line = complete.find((l) => l.includes(`http://127.0.0.1:${port}/?token=`));
    const m = line && line.match(/\?token=([A-Za-z0-9._-]+)/);
    if (m) signInUrl = `http://127.0.0.1:${port}/?token=${m[1]}`;
    const admin = complete.find((l) => l.startsWith('Admin token'));
    const a = admin && admin.match(/: ([A-Za-z0-9._-]+)$/);
    if (a) adminToken = a[1];
    const adminLink = complete.find((l) => l.startsWith('Sign in as the demo admin'));
    const s = adminLink && adminLink.match(/: (http:\/\/\S+\/\?token=[A-Za-z0-9._-]+)$/);
    if (s) adminSignInUrl = s[1];
  };
  backend.stdout.on('data', onData);
  backend.stderr.on('data', onData);

  const deadline = Date.now() + 60_000;
  let gone = null;
  exited.then((e) => (gone = e));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`backend exited early (${JSON.stringify(gone)}):\n${backendLog}`);
    if (signInUrl) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/integration/health`);
        if (res.ok) return { signInUrl, adminToken, adminSignInUrl };
      } catch {
        /* not listening yet */
      }
    }
    await sleep(250);
  }
  throw new Error(`backend did not print a sign-in link and answer /health within 60 s:\n${backendLog}`);
}

// Resolves once the page's message (data-testid="message") matches `pattern`; else fails saying what it shows.
export function waitForMessage(page, pattern) {
  return page
    .waitForFunction(
      ([source, flags]) => new RegExp(source, flags).test(document.querySelector('[data-testid="message"]')?.textContent || ''),
      [pattern.source, pattern.flags],
    )
    .catch(async (err) => {
      const shown = await page.getByTestId('message').textContent().catch(() => '?');
      throw new Error(`no message matching ${pattern} (shown: ${JSON.stringify(shown)}): ${err.message}`);
    });
}

// The API of the backend at `base` as `token`'s holder (another bearer per call when given), and a
// top-up of `customerId` paid on the Razorpay simulator without a browser (its webhook credits it).
export function apiClient(base, token) {
  async function api(method, url, body, bearer = token) {
    const res = await fetch(base + '/api/integration' + url, {
      method,
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
  async function topUpByApi(amount, customerId = 'cust_demo') {
    const { body } = await api('POST', '/wallet/topup/initiate', { customer_id: customerId, amount, payment_method: 'razorpay' });
    const pay = await fetch(base + new URL(body.redirect_url).pathname + '/pay', { method: 'POST', redirect: 'manual' });
    if (pay.status !== 303) throw new Error(`the simulator's Pay answered ${pay.status}`);
    for (let i = 0; i < 100; i += 1) {
      if ((await api('GET', `/wallet/topup/${body.payment_order_id}/status`)).body.status === 'credited') return;
      await sleep(100);
    }
    throw new Error('the API top-up was not credited');
  }
  return { api, topUpByApi };
}
