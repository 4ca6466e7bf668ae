import { createHmac } from 'node:crypto';

/** Where the hex signature goes unless an endpoint names another header (OutRival's `x-signature`). */
export const HMAC_HEX_HEADER = 'x-signature';

/** Hex HMAC-SHA256 of the raw body with the secret as a UTF-8 key, as the OutRival and Recover receivers check. */
export function signHmacHex(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('hex');
}

/** The one signature header of a delivery. */
export function hmacHexHeaders(secret: string, body: string, headerName: string = HMAC_HEX_HEADER): Record<string, string> {
  return { [headerName.toLowerCase()]: signHmacHex(secret, body) };
}
