/**
 * Recovering an endpoint (`POST /v1/endpoints/:id/recover`): asks every call with finally-failed
 * deliveries to the endpoint in [since, until) to send them again, a page of calls at a time, so
 * the request that starts it does a fixed amount of work however many calls there are. Durable:
 * an operator sees it in the Temporal UI, and a worker restart resumes it where it was.
 */
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RecoverInput } from './system-workflows';


/** Calls per page; each page is one activity. */
export const RECOVER_PAGE = 100;
/** Pages per run before it continues as new, keeping each run's history short. */
const PAGES_PER_RUN = 50;

const { recoverPage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function recoverEndpointWorkflow(input: RecoverInput): Promise<{ signalled: number }> {
  let afterSeq = input.afterSeq ?? '0';
  let signalled = input.signalled ?? 0;
  for (let page = 0; page < PAGES_PER_RUN; page += 1) {
    const result = await recoverPage({ endpointId: input.endpointId, since: input.since, until: input.until }, afterSeq, RECOVER_PAGE);
    signalled += result.signalled;
    if (result.nextAfterSeq === null) return { signalled };
    afterSeq = result.nextAfterSeq;
  }
  return continueAsNew<typeof recoverEndpointWorkflow>({ ...input, afterSeq, signalled });
}
