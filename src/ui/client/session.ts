/**
 * The API key the page signs in with: kept in sessionStorage (this tab, until it closes), never
 * in localStorage, and sent as `Authorization: Bearer`.
 */
const STORAGE_KEY = 'callhook.apiKey';

export function storedApiKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetApiKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

const PORTAL_KEY = 'callhook.portal';

/**
 * A portal link opens the page as `/#portal=<token>`: the token is kept for this tab (as a key is)
 * and taken out of the address at once, so it stays out of the history, bookmarks and screenshots.
 * The fragment never reaches a server, so no log or Referer holds it either. Returns whether one came.
 */
export function takePortalTokenFromUrl(): boolean {
  const match = /^#portal=([\w.-]+)$/.exec(window.location.hash);
  if (!match) return false;
  storeApiKey(match[1]!);
  sessionStorage.setItem(PORTAL_KEY, '1');
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return true;
}

/** Whether this tab was opened through a portal link (its "key" is the link's token). */
export function inPortal(): boolean {
  return sessionStorage.getItem(PORTAL_KEY) === '1';
}
