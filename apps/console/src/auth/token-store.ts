/** Where a token may live in the browser: this tab's session storage (cleared with the tab). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const CONSOLE_KEY = 'herald.console.key';
export const PORTAL_KEY = 'herald.portal.token';

/**
 * The app-portal token: taken from the URL fragment (`#token=…`, as app-portal-access returns
 * it), then removed from the address bar so it is neither bookmarked, shared nor kept in
 * history; kept in this tab's session storage so a reload still works. A fragment always
 * wins over a stored token (a new link replaces an old session).
 */
export function takePortalToken(
  location: { hash: string; pathname: string; search: string },
  history: { replaceState(data: unknown, unused: string, url: string): void },
  storage: TokenStorage,
): string | null {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash !== null) {
    storage.setItem(PORTAL_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return storage.getItem(PORTAL_KEY);
}

/** `#token=<urlencoded>` (other fragment parameters are ignored). */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return token !== null && token.trim() !== '' ? token.trim() : null;
}
