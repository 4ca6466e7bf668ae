/**
 * The layers of callhook, checked in CI (`npm run lint:layers`):
 *   entry points (src/main.ts, src/worker.ts, src/api/main.ts, src/cli, scripts)
 *     → api | worker → activities → destinations → db → schemas
 * with the process's own modules (config, observability, process, net, crypto) usable from any layer,
 * and workflows importing only deterministic modules (type-only imports are erased, so any is fine).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'only-entry-points-import-api',
      comment: 'Nothing below the API imports it: the worker, activities, destinations, db and schemas stand without it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/api/', '^src/main\\.ts$'] },
      to: { path: '^src/api/' },
    },
    {
      name: 'workflows-import-only-deterministic-code',
      comment:
        'Workflow code runs in the deterministic sandbox: it imports workflow modules, schemas and a few pure modules; anything else type-only.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [
          '^src/workflows/',
          '^src/schemas/',
          '^src/config/delivery-settings\\.ts$',
          '^src/domain/event-types\\.ts$',
          '^src/temporal/search-attributes\\.ts$',
          // The OpenTelemetry API only carries context in the sandbox (src/workflows/event-trace.ts): no I/O, no clock.
          '(^|/)node_modules/(@temporalio/(workflow|common)|zod|@opentelemetry/api)/',
        ],
      },
    },
    {
      name: 'only-message-definitions-of-workflows-are-imported',
      comment: 'Outside workflow code, a workflow is reached through its messages (signals, queries, names and inputs), never its code.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/workflows/', '^src/worker\\.ts$'] },
      to: {
        path: '^src/workflows/',
        pathNot: ['^src/workflows/(messages|system-workflows|task-queues)\\.ts$'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'activities-below-api-and-worker',
      severity: 'error',
      from: { path: '^src/activities/' },
      to: { path: '^src/(api|ui|cli)/|^src/(main|worker)\\.ts$' },
    },
    {
      name: 'destinations-below-activities',
      severity: 'error',
      from: { path: '^src/destinations/' },
      to: { path: '^src/(api|ui|cli|activities|workflows|outbox)/|^src/(main|worker)\\.ts$' },
    },
    {
      name: 'db-below-destinations',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/(api|ui|cli|activities|workflows|outbox|destinations|catalog|auth)/|^src/(main|worker)\\.ts$' },
    },
    {
      name: 'schemas-are-the-bottom',
      comment: 'Schemas are the one source of validation, types and OpenAPI: they import only other schemas and pure modules.',
      severity: 'error',
      from: { path: '^src/schemas/' },
      to: { path: '^src/', pathNot: ['^src/schemas/', '^src/net/', '^src/domain/event-types\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      comment: 'No cycles through code that runs; a cycle of type-only imports is erased at compile time.',
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/ui/client/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
