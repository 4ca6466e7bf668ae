/**
 * Watches the client certificates deliveries present: each is published as a metric (its expiry,
 * per endpoint), and one that expires within CERTIFICATE_EXPIRY_WARNING_DAYS (or has expired) is
 * logged as a warning, at most once per `warnEveryMs` for each endpoint.
 */
import type { Logger } from '../observability/logger';
import { clientCertificateExpiry } from '../observability/metrics';
import { CERTIFICATE_EXPIRY_WARNING_DAYS, certificateExpiryState, describeCertificate } from './client-certificates';

interface Watched {
  certificate: string;
  notAfter: string;
  subject: string;
  warnedAt: number | null;
}

export class CertificateExpiryWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly now: () => number;
  private readonly warnEveryMs: number;

  constructor(private readonly options: { logger: Pick<Logger, 'warn'>; now?: () => number; warnEveryMs?: number }) {
    this.now = options.now ?? Date.now;
    this.warnEveryMs = options.warnEveryMs ?? 3_600_000;
  }

  /** Called with an endpoint's certificate as an attempt presents it. */
  observe(endpointId: string, certificate: string): void {
    let seen = this.watched.get(endpointId);
    if (!seen || seen.certificate !== certificate) {
      const described = describeCertificate(certificate);
      seen = { certificate, notAfter: described.notAfter, subject: described.subject, warnedAt: null };
      this.watched.set(endpointId, seen);
      clientCertificateExpiry.set({ endpoint_id: endpointId }, Math.floor(Date.parse(described.notAfter) / 1000));
    }
    const now = this.now();
    const state = certificateExpiryState(seen.notAfter, new Date(now));
    if (state === 'valid' || (seen.warnedAt !== null && now - seen.warnedAt < this.warnEveryMs)) return;
    seen.warnedAt = now;
    this.options.logger.warn(
      { endpointId, subject: seen.subject, notAfter: seen.notAfter, state },
      state === 'expired'
        ? "an endpoint's client certificate has expired: its receiver will refuse the TLS handshake; upload a new one"
        : `an endpoint's client certificate expires within ${CERTIFICATE_EXPIRY_WARNING_DAYS} days; upload a new one`,
    );
  }
}
