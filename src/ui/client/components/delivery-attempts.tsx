/** A delivery's attempts (status, error, duration, response excerpt, trace id) and the operator actions on it. */
import type { DeliveryLogEntry } from '../api-types';
import { formatMs, formatTime } from '../format';

export function DeliveryAttempts(props: { delivery: DeliveryLogEntry }) {
  const { attempts, actions } = props.delivery;
  return (
    <div class="attempts">
      {attempts.length === 0 ? (
        <p class="hint">No attempt yet.</p>
      ) : (
        <table>
          <caption>Attempts of {props.delivery.id}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Started</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
              <th scope="col">Response excerpt</th>
              <th scope="col">Trace</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((attempt) => (
              <tr key={attempt.attemptNumber + attempt.startedAt}>
                <td>{attempt.attemptNumber}</td>
                <td>{formatTime(attempt.startedAt)}</td>
                <td>
                  <span class={`badge ${attempt.outcome}`}>{attempt.outcome}</span>
                </td>
                <td>{attempt.statusCode ?? '—'}</td>
                <td>{formatMs(attempt.durationMs)}</td>
                <td class="error-text">{attempt.error ?? ''}</td>
                <td>{attempt.responseExcerpt ? <pre class="excerpt">{attempt.responseExcerpt}</pre> : ''}</td>
                <td>{attempt.traceId ? <code>{attempt.traceId}</code> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {actions.length > 0 && (
        <ul class="actions-log" aria-label="Operator actions">
          {actions.map((action) => (
            <li key={action.at + action.action}>
              {formatTime(action.at)}: {action.action} ({action.source}){action.reason ? `: ${action.reason}` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
