// Types of client.mjs (the esgx-client package's main entry): invoke esgx functions and
// verify the enclave-signed answers. Hex strings are lower- or upper-case hex.
import type { NameRecord, OwnerStore } from './names.mjs';
import type { SealKeys } from './seal.mjs';
export type { NameRecord, OwnerStore } from './names.mjs';

/** The fuel limit a request without `fuel` is hashed with (a node's default). */
export const DEFAULT_FUEL_LIMIT: bigint;

/** A request: by module hash (with decrypt) or by name; input a string or bytes. */
export interface InvokeRequest {
  hash?: string;                 // 64 hex: the module's BLAKE3 hash
  decrypt?: boolean;             // the module is stored encrypted to the network key
  name?: string;                 // a deployed name instead of hash
  function?: string;             // the exported function (default "main")
  input?: string | Uint8Array;
  input_base64?: string;
  sealed_input?: string;
  fuel?: number | bigint;
  owner?: string;                // set by invoke for a call by name (the record's owner)
  seq?: number;                  // set by invoke for a call by name (the record's seq)
}

/** The JSON header line of an answer. */
export interface AnswerHeader {
  hash: string;
  tree: string;
  input_hash: string;
  signature: string;
  fuel_used: number;
  name?: string;
  owner?: string;
  seq?: number;
  [member: string]: unknown;
}

export interface VerifiedAnswer {
  output: Uint8Array;
  header: AnswerHeader;
  signer: string;                // the recovered key: the network key (66 hex)
}

export interface InvokeResult extends VerifiedAnswer {
  body: Uint8Array;              // the answer as received, for verifyAnswer later
  request: InvokeRequest;        // the request as sent
}

export interface InvokeOptions {
  networkKey: string;            // the pinned network key (66 hex), required
  owners?: OwnerStore;           // where owners of names are pinned (default: this process)
  owner?: string;                // demand this owner (66 hex) for a call by name
  seal?: boolean;                // seal the input and output end to end
}

/** The BLAKE3 tree of an output (256 KiB blocks): the root first, as in an answer. */
export function outputTree(data: Uint8Array): Uint8Array[];
/** input_hash of a request (fuel defaults to fuelLimit). */
export function inputHash(req: InvokeRequest, fuelLimit?: number | bigint): Uint8Array;
/** Splits an answer body into its header and output; throws on a malformed answer. */
export function parseAnswer(body: Uint8Array): { header: AnswerHeader; output: Uint8Array };
/** Verifies an answer for req against the network key; throws an Error naming the check
 *  that failed ("output hash mismatch", "tree mismatch", "input_hash mismatch", ...). */
export function verifyAnswer(body: Uint8Array, req: InvokeRequest, networkKey: string,
                             opts?: { fuelLimit?: number | bigint }): VerifiedAnswer;
/** The network key a node reports in /attestation (trust on first use: pin it instead). */
export function fetchNetworkKey(node: string | URL): Promise<string>;
/** Fetches and checks a name's signed record (names.mjs fetchRecord). */
export function resolveName(node: string | URL, name: string, networkKey: string): Promise<NameRecord>;
/** Invokes a function and verifies the answer before returning it. */
export function invoke(node: string | URL, req: InvokeRequest, opts: InvokeOptions): Promise<InvokeResult>;
/** invoke()'s HTTP call, prepared but not made (for a call by name, pass the record you
 *  verified with resolveName and checkOwner): fetch(url, init), then verifyAnswer(body,
 *  request, networkKey), then, when sealed, openResponse(keys, input_hash, output). */
export function prepareInvoke(node: string | URL, req: InvokeRequest,
                              opts: { networkKey?: string; seal?: boolean; record?: NameRecord }):
  Promise<{ url: URL; init: RequestInit; request: InvokeRequest;
            keys?: SealKeys }>;
