// shims.mjs: the esbuild plugin that swaps two dependencies of @phala/dcap-qvl for small
// shims of ours over the @noble packages (src/shim/; build.mjs explains why), and gives
// asn1.js the top-level bn.js instead of its nested copy. Shared by build.mjs and the
// test that runs the bundled verifier on a real Intel quote (tests/console_quote.sh).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const shims = {
  name: 'esgx-shims',
  setup(b) {
    const to = { elliptic: 'src/shim/elliptic.mjs', 'hash.js': 'src/shim/hash.mjs' };
    b.onResolve({ filter: /^(elliptic|hash\.js)$/ }, (a) => ({ path: join(here, to[a.path]) }));
    b.onResolve({ filter: /^bn\.js$/ }, () => ({ path: join(here, 'node_modules/bn.js/lib/bn.js') }));
  },
};
