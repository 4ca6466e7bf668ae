/**
 * An endpoint's options in its card, briefly: custom headers (a secret one by the hint of its
 * value), the filter (its JSON), the retry schedule, the client certificate (subject and expiry,
 * with a warning when it expires soon or has expired). Terms of the card's list; only what is set.
 */
import type { EndpointView } from '../api-types';
import { formatTime, retryLabel } from '../format';
import { ExpiryBadge } from './client-certificate-fields';

export function EndpointOptionsFacts(props: { endpoint: EndpointView }) {
  const { headers, filter, retry, tls } = props.endpoint;
  return (
    <>
      {headers.length > 0 && (
        <>
          <dt>Headers</dt>
          <dd class="headers-fact">
            {headers.map((header, index) => (
              <span key={header.name}>
                {index > 0 && ', '}
                <code>{header.name}</code>
                {header.secret ? ` (secret, ${header.valueHint})` : <>: <code>{header.value}</code></>}
              </span>
            ))}
          </dd>
        </>
      )}
      {filter !== null && (
        <>
          <dt>Filter</dt>
          <dd>
            <code class="filter-fact">{JSON.stringify(filter)}</code>
          </dd>
        </>
      )}
      {retry !== null && (
        <>
          <dt>Retries</dt>
          <dd>{retryLabel(retry)}</dd>
        </>
      )}
      {tls !== null && (
        <>
          <dt>Client certificate</dt>
          <dd class={tls.expiry === 'expired' ? 'certificate-fact bad-text' : 'certificate-fact'}>
            <code>{tls.subject}</code> · valid until {formatTime(tls.notAfter)} <ExpiryBadge tls={tls} />
          </dd>
        </>
      )}
    </>
  );
}
