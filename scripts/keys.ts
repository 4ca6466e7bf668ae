/**
 * `npm run keys -- <command>`: src/cli/keys.ts, run from the sources with tsx (it lives in src/ so that `npm run build`
 * compiles it: `npm run keys:prod` runs dist/cli/keys.js with plain node, as in the Docker image).
 */
import '../src/cli/keys';
