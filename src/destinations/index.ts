import type { DestinationRegistry } from './destination';
import { customDestination } from './custom';
import { emailDestination } from './email';
import type { SigningKeyRing } from './signing/signing-keys';
import { slackDestination } from './slack';
import { teamsDestination } from './teams';
import { createDeliveryAgent } from './network-policy';
import { ClientTlsAgents } from './client-certificates';
import { CertificateExpiryWatch } from './certificate-expiry-watch';
import { OAuth2TokenCache } from './oauth2-tokens';
import { logger } from '../observability/logger';

export interface DestinationsConfig {
  RETRY_AFTER_MAX: number;
  RESPONSE_EXCERPT_BYTES: number;
  /** The word in brackets before a Slack/Teams/email title: `[Recho] …`. */
  BRAND_NAME: string;
  /** IANA time zone the event time is shown in by Slack, Teams and email. */
  TIME_ZONE: string;
  /** Without it there is no email destination: email deliveries end as "no destination configured for kind email". */
  SMTP_URL?: string | undefined;
  EMAIL_FROM: string;
  /** Also the SMTP connection's timeouts. */
  DELIVERY_ATTEMPT_TIMEOUT: number;
  /** Whether HTTP deliveries may reach private and special-purpose addresses. */
  ALLOW_PRIVATE_NETWORKS: boolean;
}

export interface Destinations {
  registry: DestinationRegistry;
  /** Releases what the destinations hold open (the pooled SMTP connections). */
  close(): void;
}

/** Every destination kind this build delivers to, configured; email only when SMTP_URL is set. */
export function createDestinations(config: DestinationsConfig, signingKeys: Pick<SigningKeyRing, 'current'>): Destinations {
  const agent = createDeliveryAgent({ allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS });
  const network = { agent, allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS };
  const http = { retryAfterMaxMs: config.RETRY_AFTER_MAX, excerptBytes: config.RESPONSE_EXCERPT_BYTES, network };
  const oauthTokens = new OAuth2TokenCache({ network, timeoutMs: config.DELIVERY_ATTEMPT_TIMEOUT });
  const tlsAgents = new ClientTlsAgents({ allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS });
  const summary = { brand: config.BRAND_NAME, timeZone: config.TIME_ZONE };
  const email =
    config.SMTP_URL === undefined
      ? undefined
      : emailDestination({ ...summary, smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM, timeoutMs: config.DELIVERY_ATTEMPT_TIMEOUT });
  return {
    registry: {
      custom: customDestination({ ...http, signingKeys, oauthTokens, tlsAgents, certificateWatch: new CertificateExpiryWatch({ logger }) }),
      slack: slackDestination({ ...http, ...summary }),
      teams: teamsDestination({ ...http, ...summary }),
      ...(email && { email }),
    },
    close: () => {
      email?.close();
      agent.close().catch((err: unknown) => logger.warn({ err }, 'closing the delivery connection pool failed'));
      tlsAgents.close().catch((err: unknown) => logger.warn({ err }, 'closing the mutual-TLS connection pools failed'));
    },
  };
}
