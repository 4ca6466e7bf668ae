/** A Standard Webhooks secret made in the browser (switching an endpoint to HMAC): `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
