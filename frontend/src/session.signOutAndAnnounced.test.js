// Signing out on a refused token only when it is still the stored one; the top-ups this tab has
// announced as credited.
import { beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_KEY } from './services/integrationService.js';
import { rememberAnnouncedTopup, signOutIfStored, wasAnnouncedTopup } from './session.js';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

describe('signOutIfStored (a 401 to a request that carried a token)', () => {
  it('signs out when the refused token is the stored one', () => {
    localStorage.setItem(TOKEN_KEY, 'old.jwt.token');
    expect(signOutIfStored('old.jwt.token')).toBe(true);
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('keeps a sign-in made since (another tab) when an older token is refused', () => {
    localStorage.setItem(TOKEN_KEY, 'newer.jwt.token');
    expect(signOutIfStored('old.jwt.token')).toBe(false);
    expect(localStorage.getItem(TOKEN_KEY)).toBe('newer.jwt.token');
  });

  it('keeps a sign-in made since when the refused request carried no token', () => {
    localStorage.setItem(TOKEN_KEY, 'newer.jwt.token');
    expect(signOutIfStored(null)).toBe(false);
    expect(localStorage.getItem(TOKEN_KEY)).toBe('newer.jwt.token');
  });

  it('is signed out when nothing was sent and nothing is stored', () => {
    expect(signOutIfStored(null)).toBe(true);
  });

  it('stays signed out when a second call refused with the same token answers after the first', () => {
    localStorage.setItem(TOKEN_KEY, 'old.jwt.token');
    expect(signOutIfStored('old.jwt.token')).toBe(true);
    expect(signOutIfStored('old.jwt.token')).toBe(true);
  });
});

describe('announced top-ups (sessionStorage)', () => {
  it('remembers the top-ups said to be credited, and no other', () => {
    rememberAnnouncedTopup('gpay_1');
    expect(wasAnnouncedTopup('gpay_1')).toBe(true);
    expect(wasAnnouncedTopup('gpay_2')).toBe(false);
    expect(wasAnnouncedTopup(null)).toBe(false);
  });

  it('keeps the newest 50', () => {
    for (let i = 0; i < 51; i += 1) rememberAnnouncedTopup(`po_${i}`);
    expect(wasAnnouncedTopup('po_0')).toBe(false);
    expect(wasAnnouncedTopup('po_1')).toBe(true);
    expect(wasAnnouncedTopup('po_50')).toBe(true);
  });

  it('reads a spoilt entry as none', () => {
    sessionStorage.setItem('wallet_announced_topups', '{not json');
    expect(wasAnnouncedTopup('gpay_1')).toBe(false);
    rememberAnnouncedTopup('gpay_1');
    expect(wasAnnouncedTopup('gpay_1')).toBe(true);
  });
});
