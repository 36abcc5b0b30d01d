// node_encrypt.mjs: ECIES-encrypts a file to a public key with eciesjs (the library
// Fleek's tooling used), for the decrypt-mode end-to-end test of esgxd.
// usage: node node_encrypt.mjs PUBKEY_HEX IN_FILE OUT_FILE
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.env.ESGX_SOURCE_DIR || join(import.meta.dirname, '..');
const { encrypt } = await import(
  pathToFileURL(join(src, 'tests/js/node_modules/eciesjs/dist/index.js')).href);
const [pub, inFile, outFile] = process.argv.slice(2);
writeFileSync(outFile, encrypt(Buffer.from(pub, 'hex'), readFileSync(inFile)));
