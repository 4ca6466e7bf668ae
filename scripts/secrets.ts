/**
 * `npm run secrets -- <command>`: src/cli/secrets.ts, run from the sources with tsx (it lives in src/ so that `npm run build`
 * compiles it: `npm run secrets:prod` runs dist/cli/secrets.js with plain node, as in the Docker image).
 */
import '../src/cli/secrets';
