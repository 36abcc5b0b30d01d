// hash.mjs: stands in for the npm package "hash.js" inside @phala/dcap-qvl's browser
// path (console/build.mjs aliases it here), over @noble/hashes: the SHA-2 functions
// dcap-qvl asks for by name (hashJs.sha256() and the like), each an object with
// update(bytes or string) and digest() (bytes) / digest('hex').
import * as sha2 from '@noble/hashes/sha2.js';

const enc = new TextEncoder();
const wrap = (fn) => () => {
  const h = fn.create();
  return {
    update(data) {
      h.update(typeof data === 'string' ? enc.encode(data) : Uint8Array.from(data));
      return this;
    },
    digest(encoding) {
      const d = h.digest();
      if (encoding === 'hex') return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
      if (encoding) throw new Error(`hash shim: no ${encoding} encoding`);
      return d;
    },
  };
};
export const sha224 = wrap(sha2.sha224);
export const sha256 = wrap(sha2.sha256);
export const sha384 = wrap(sha2.sha384);
export const sha512 = wrap(sha2.sha512);
