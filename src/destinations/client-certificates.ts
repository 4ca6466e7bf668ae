/**
 * Mutual TLS for custom endpoints. An endpoint may carry a client certificate (with its private
 * key, and optionally a CA bundle for the server's certificate): callhook presents it when it
 * connects. This module checks such material before it is saved (`inspectClientTls`), says how
 * close a certificate is to expiry (`certificateExpiryState`), and keeps one connection pool per
 * endpoint that presents it (`ClientTlsAgents`).
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { Agent } from 'undici';
import { createDeliveryAgent } from './network-policy';

/** An endpoint's TLS material, as PEM strings. */
export interface ClientTls {
  /** The client certificate; may be followed by its intermediates (a chain, leaf first). */
  certificate: string;
  /** The certificate's private key, unencrypted (callhook stores it encrypted at rest). */
  privateKey: string;
  /** CA certificates that the server's certificate must chain to: they replace the default roots. */
  ca?: string;
}

export type ClientTlsField = keyof ClientTls;

export interface ClientTlsProblem {
  path: ClientTlsField;
  message: string;
}

/** What the page shows about a certificate (the leaf of a chain). Dates are ISO 8601. */
export interface CertificateDescription {
  notAfter: string;
  notBefore: string;
  /** One line: "CN=a, O=b". */
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, as colon-separated hex pairs. */
  fingerprint256: string;
}

export interface ClientTlsSummary extends CertificateDescription {
  ok: true;
}

export type ClientTlsInspection = ClientTlsSummary | { ok: false; problems: ClientTlsProblem[] };

/** Each PEM field is at most this many bytes (UTF-8): a chain or bundle is a few KB. */
export const CLIENT_TLS_FIELD_MAX_BYTES = 64 * 1024;

/** The page warns when a certificate expires within this many days. */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 14;

export type CertificateExpiry = 'valid' | 'expiring' | 'expired';

const DAY_MS = 86_400_000;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates in a PEM string, in order; a problem message when there are none or one is unreadable. */
function parseCertificates(pem: string, what: string): X509Certificate[] | string {
  const blocks = pem.match(CERTIFICATE_BLOCK);
  if (!blocks) return `${what} is not PEM: expected a block starting with -----BEGIN CERTIFICATE-----`;
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (err) {
      const which = blocks.length > 1 ? `certificate ${index + 1} of ${blocks.length} in ${what}` : what;
      return `${which} is unreadable: ${errorMessage(err)}`;
    }
  }
  return certificates;
}

/** The private key, or a problem message. */
function parsePrivateKey(pem: string): KeyObject | string {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(pem)) {
    return 'private key is encrypted with a passphrase, which is not supported: provide the key unencrypted (callhook encrypts it at rest)';
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return 'private key is not PEM: expected a block starting with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)';
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') {
      return 'private key is encrypted with a passphrase, which is not supported: provide the key unencrypted (callhook encrypts it at rest)';
    }
    return `private key is unreadable: ${errorMessage(err)}`;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An X509Certificate date string ("Mar  5 12:00:00 2026 GMT") as ISO 8601. */
function isoDate(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`certificate date is unreadable: ${value}`);
  return date.toISOString();
}

/** "CN=a\nO=b" → "CN=a, O=b". */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

function describe(leaf: X509Certificate): CertificateDescription {
  return {
    notAfter: isoDate(leaf.validTo),
    notBefore: isoDate(leaf.validFrom),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    fingerprint256: leaf.fingerprint256,
  };
}

/**
 * The leaf of a certificate chain that `inspectClientTls` accepted before it was stored.
 * Throws, saying why, when the PEM is unreadable.
 */
export function describeCertificate(certificate: string): CertificateDescription {
  const parsed = parseCertificates(certificate, 'certificate');
  if (typeof parsed === 'string') throw new Error(`describeCertificate: ${parsed}`);
  return describe(parsed[0]!);
}

/**
 * Checks an endpoint's TLS material before it is saved: the certificate (the first of a chain) is
 * readable and not expired, the key is readable, unencrypted and belongs to the certificate, and
 * every block of the CA bundle parses. A certificate not yet valid is accepted (it is shown).
 * Either a summary of the certificate, or every problem found, each on its field.
 */
export function inspectClientTls(tls: ClientTls, now = new Date()): ClientTlsInspection {
  const problems: ClientTlsProblem[] = [];
  const fields: [ClientTlsField, string | undefined][] = [['certificate', tls.certificate], ['privateKey', tls.privateKey], ['ca', tls.ca]];
  const tooLarge = new Set<ClientTlsField>();
  for (const [path, value] of fields) {
    const bytes = value === undefined ? 0 : Buffer.byteLength(value, 'utf8');
    if (bytes > CLIENT_TLS_FIELD_MAX_BYTES) {
      tooLarge.add(path);
      problems.push({ path, message: `${path} is ${bytes} bytes; at most ${CLIENT_TLS_FIELD_MAX_BYTES} are accepted` });
    }
  }

  let leaf: X509Certificate | undefined;
  if (!tooLarge.has('certificate')) {
    const parsed = parseCertificates(tls.certificate, 'certificate');
    if (typeof parsed === 'string') problems.push({ path: 'certificate', message: parsed });
    else leaf = parsed[0];
  }

  let key: KeyObject | undefined;
  if (!tooLarge.has('privateKey')) {
    const parsed = parsePrivateKey(tls.privateKey);
    if (typeof parsed === 'string') problems.push({ path: 'privateKey', message: parsed });
    else key = parsed;
  }

  if (tls.ca !== undefined && !tooLarge.has('ca')) {
    const parsed = parseCertificates(tls.ca, 'ca');
    if (typeof parsed === 'string') problems.push({ path: 'ca', message: parsed });
  }

  if (leaf && key && !leaf.checkPrivateKey(key)) {
    problems.push({ path: 'privateKey', message: `private key does not match the certificate (subject ${oneLine(leaf.subject)})` });
  }

  let summary: ClientTlsSummary | undefined;
  if (leaf) {
    try {
      summary = { ok: true, ...describe(leaf) };
      if (new Date(summary.notAfter).getTime() <= now.getTime()) {
        problems.push({ path: 'certificate', message: `certificate expired on ${summary.notAfter}` });
      }
    } catch (err) {
      problems.push({ path: 'certificate', message: errorMessage(err) });
    }
  }

  if (problems.length > 0 || !summary) return { ok: false, problems };
  return summary;
}

/**
 * Whether a certificate that is valid until `notAfter` (ISO 8601) is still fine, expires within
 * CERTIFICATE_EXPIRY_WARNING_DAYS, or has expired.
 */
export function certificateExpiryState(notAfter: string, now = new Date()): CertificateExpiry {
  const end = Date.parse(notAfter);
  if (Number.isNaN(end)) throw new Error(`certificateExpiryState: notAfter is not a date: ${JSON.stringify(notAfter)}`);
  const left = end - now.getTime();
  if (left <= 0) return 'expired';
  return left <= CERTIFICATE_EXPIRY_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid';
}

/** SHA-256 over the TLS material: a new certificate, key or CA bundle gives a new value. */
function materialFingerprint(tls: ClientTls): string {
  return createHash('sha256').update(JSON.stringify([tls.certificate, tls.privateKey, tls.ca ?? null])).digest('hex');
}

export interface ClientTlsAgentsOptions {
  /** As for the shared delivery agent: false refuses private addresses at connect time. */
  allowPrivateNetworks: boolean;
  /** At most this many pools are kept; the least recently used is closed beyond it. Default 1000. */
  maxAgents?: number;
}

/**
 * Connection pools for endpoints with a client certificate: one per endpoint, built like the
 * shared delivery agent but presenting that endpoint's certificate. A pool is kept while the
 * endpoint's material is unchanged; new material (a renewed certificate) replaces it, and the old
 * pool is closed — gracefully, so requests already on it finish. Least recently used pools are
 * closed beyond `maxAgents`.
 */
export class ClientTlsAgents {
  /** By endpoint id; Map order is use order (oldest first). */
  private readonly agents = new Map<string, { fingerprint: string; agent: Agent }>();
  private readonly closing = new Set<Promise<void>>();
  private readonly maxAgents: number;
  private closed = false;

  constructor(private readonly options: ClientTlsAgentsOptions) {
    this.maxAgents = options.maxAgents ?? 1000;
    if (!Number.isInteger(this.maxAgents) || this.maxAgents < 1) {
      throw new Error(`ClientTlsAgents: maxAgents must be a positive integer, got ${options.maxAgents}`);
    }
  }

  /** How many pools are open. */
  get size(): number {
    return this.agents.size;
  }

  /** The pool that presents `tls` for this endpoint. */
  agentFor(endpointId: string, tls: ClientTls): Agent {
    if (this.closed) throw new Error(`ClientTlsAgents is closed: no agent for endpoint ${endpointId}`);
    const fingerprint = materialFingerprint(tls);
    const existing = this.agents.get(endpointId);
    if (existing) {
      this.agents.delete(endpointId);
      if (existing.fingerprint === fingerprint) {
        this.agents.set(endpointId, existing);
        return existing.agent;
      }
      this.retire(existing.agent);
    }
    const agent = createDeliveryAgent({
      allowPrivateNetworks: this.options.allowPrivateNetworks,
      tls: { cert: tls.certificate, key: tls.privateKey, ...(tls.ca !== undefined && { ca: tls.ca }) },
    });
    this.agents.set(endpointId, { fingerprint, agent });
    for (const [oldestId, oldest] of this.agents) {
      if (this.agents.size <= this.maxAgents) break;
      this.agents.delete(oldestId);
      this.retire(oldest.agent);
    }
    return agent;
  }

  /** Closes every pool, waiting for requests on them to finish. */
  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.agents.values()].map(({ agent }) => agent.close());
    this.agents.clear();
    await Promise.all([...open, ...this.closing]);
  }

  /** Closes a pool no longer handed out. */
  private retire(agent: Agent): void {
    const closing = agent
      .close()
      // Nothing waits on a retired pool and its requests settle on their own; close() only
      // rejects when the pool is already closed or destroyed, which leaves nothing to clean up.
      .catch(() => undefined)
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }
}
