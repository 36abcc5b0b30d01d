// elliptic.mjs: stands in for the npm package "elliptic" inside @phala/dcap-qvl's
// browser path (console/build.mjs aliases it here), over @noble/curves' P-256. It
// implements exactly what dcap-qvl calls (src/crypto-compat.js): new ec('p256'),
// keyFromPublic(uncompressed point bytes), key.verify(digest, DER signature). The
// quote verification logic stays dcap-qvl's; only the curve arithmetic is swapped for
// a smaller, audited one. Like elliptic, verify accepts high-S signatures (DCAP's are
// not normalised) and answers false rather than throwing.
import { p256 } from '@noble/curves/nist.js';

class Key {
  constructor(point) { this.point = point; }
  verify(digest, signature) {
    try {
      return p256.verify(Uint8Array.from(signature), Uint8Array.from(digest), this.point,
        { prehash: false, lowS: false, format: 'der' });
    } catch {
      return false;
    }
  }
}

export class ec {
  constructor(curve) {
    if (curve !== 'p256') throw new Error(`elliptic shim: only p256, not ${curve}`);
  }
  keyFromPublic(bytes) {
    const point = Uint8Array.from(bytes);
    p256.Point.fromBytes(point);   // throws on a point not on the curve, as elliptic would later
    return new Key(point);
  }
}

