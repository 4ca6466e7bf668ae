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
