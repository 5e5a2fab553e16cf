// What the client's service tests share (not a test file itself): the API's base path, a UUID v4,
// a request's header, the one request of a kind, the error a call fails with, and a mocked axios
// with a signed-in client made afresh for each test.
import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { createIntegrationService, TOKEN_KEY } from './integrationService.js';

export const BASE = '/api/integration';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const header = (req, name) => (req.headers.get ? req.headers.get(name) : req.headers[name]);

export const only = (list) => {
  expect(list).toHaveLength(1);
  return list[0];
};

export async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/**
 * Before each test: an empty localStorage holding `token` as the signed-in token, a MockAdapter over
 * axios (instances made by axios.create() after it inherit it) and a client at BASE; after each, the
 * adapter removed and stubbed env vars restored. Returns `{ mock, api }`, read afresh per test.
 */
export function useServiceMocks({ token = 'jwt.token.value' } = {}) {
  let mock;
  let api;
  beforeEach(() => {
    localStorage.clear();
    localStorage.setItem(TOKEN_KEY, token);
    mock = new MockAdapter(axios);
    api = createIntegrationService({ baseURL: BASE });
  });
  afterEach(() => {
    mock.restore();
    vi.unstubAllEnvs();
  });
  return {
    get mock() {
      return mock;
    },
    get api() {
      return api;
    },
  };
}
