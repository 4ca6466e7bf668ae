export { callWorkflow } from './call-workflow';
export { recoverEndpointWorkflow } from './recover-workflow';
