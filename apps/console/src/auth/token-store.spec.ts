import { describe, expect, it } from 'vitest';
import { PORTAL_KEY, takePortalToken, tokenFromHash, type TokenStorage } from './token-store';

function memoryStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

describe('takePortalToken', () => {
  it('takes the token from the fragment, stores it for this tab and removes it from the address bar', () => {
    const storage = memoryStorage();
    const replaced: string[] = [];
    const token = takePortalToken({ hash: `#token=${encodeURIComponent('hrld_a+b/c=')}`, pathname: '/app-portal/messages', search: '?x=1' }, { replaceState: (_d, _u, url) => replaced.push(url) }, storage);
    expect(token).toBe('hrld_a+b/c=');
    expect(storage.items.get(PORTAL_KEY)).toBe('hrld_a+b/c=');
    expect(replaced).toEqual(['/app-portal/messages?x=1']);
  });

  it('falls back to the stored token after a reload (no fragment), leaving the address alone', () => {
    const storage = memoryStorage();
    storage.setItem(PORTAL_KEY, 'hrld_stored');
    const replaced: string[] = [];
    expect(takePortalToken({ hash: '', pathname: '/app-portal', search: '' }, { replaceState: (_d, _u, url) => replaced.push(url) }, storage)).toBe('hrld_stored');
    expect(replaced).toEqual([]);
  });

  it('lets a new link replace an old session', () => {
    const storage = memoryStorage();
    storage.setItem(PORTAL_KEY, 'hrld_old');
    expect(takePortalToken({ hash: '#token=hrld_new', pathname: '/app-portal', search: '' }, { replaceState: () => undefined }, storage)).toBe('hrld_new');
    expect(storage.items.get(PORTAL_KEY)).toBe('hrld_new');
  });

  it('has no token without a fragment or a stored one', () => {
    expect(takePortalToken({ hash: '', pathname: '/app-portal', search: '' }, { replaceState: () => undefined }, memoryStorage())).toBeNull();
  });
});

describe('tokenFromHash', () => {
  it('reads token= among other fragment parameters and ignores empty values', () => {
    expect(tokenFromHash('#a=1&token=hrld_x')).toBe('hrld_x');
    expect(tokenFromHash('#token=')).toBeNull();
    expect(tokenFromHash('#nothing')).toBeNull();
    expect(tokenFromHash('')).toBeNull();
  });
});
