export { callWorkflow } from './call-workflow';
export { recoverEndpointWorkflow } from './recover-workflow';
export { retentionWorkflow } from './retention-workflow';
export { reconcileWorkflow } from './reconcile-workflow';
