import { describe, expect, it } from 'vitest';
import { ApiError, describeError } from './errors';

describe('describeError', () => {
  it('lists 422 validation issues by field, without the body/query prefix', () => {
    const text = describeError(422, { detail: [{ loc: ['body', 'url'], msg: 'must be a valid URL', type: 'value_error' }, { loc: ['body', 'channels', 0], msg: 'too long', type: 'x' }] });
    expect(text).toBe('Please check: url: must be a valid URL; channels.0: too long.');
  });

  it("uses the API's detail for other errors", () => {
    expect(describeError(409, { code: 'conflict', detail: 'An endpoint with this uid exists' })).toBe('An endpoint with this uid exists');
  });

  it('says what a 401 or 403 means, with the detail', () => {
    expect(describeError(401, { code: 'authentication_failed', detail: 'Invalid token' })).toBe('The key or token was not accepted: it is wrong, revoked or expired. (Invalid token)');
    expect(describeError(403, { code: 'forbidden', detail: 'scope' })).toContain('not allowed');
  });

  it('falls back to words for bodies it does not know', () => {
    expect(describeError(404, undefined)).toContain('Not found');
    expect(describeError(503, 'oops')).toBe('Herald had a problem answering (HTTP 503). Try again later.');
    expect(describeError(418, null)).toBe('The request failed (HTTP 418).');
  });

  it('keeps the status and code on the error', () => {
    const err = ApiError.fromResponse(409, { code: 'conflict', detail: 'dup' });
    expect([err.status, err.code, err.message]).toEqual([409, 'conflict', 'dup']);
    expect(ApiError.network(new TypeError('Failed to fetch')).message).toBe('Could not reach the Herald API (Failed to fetch).');
  });
});
