import { sign } from 'node:crypto';

export const RSA_HEADERS = {
  timestamp: 'x-recho-timestamp',
  signature: 'x-recho-signature',
  keyId: 'x-recho-key-id',
} as const;

/**
 * Base64 RSA-SHA256 (PKCS#1 v1.5) signature over the UTF-8 bytes of `${timestamp}.${body}`:
 * what the seeds' FastAPI receiver verifies with `padding.PKCS1v15(), hashes.SHA256()`.
 */
export function signRsa(privateKeyPem: string, timestamp: number, body: string): string {
  return sign('sha256', Buffer.from(`${timestamp}.${body}`, 'utf8'), privateKeyPem).toString('base64');
}

/** The headers of an RSA-signed delivery; the timestamp is Unix seconds. */
export function rsaHeaders(key: { id: string; privateKeyPem: string }, body: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [RSA_HEADERS.timestamp]: String(timestamp),
    [RSA_HEADERS.signature]: signRsa(key.privateKeyPem, timestamp, body),
    [RSA_HEADERS.keyId]: key.id,
  };
}
