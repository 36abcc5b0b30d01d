// Types of seal.mjs (esgx-client/seal): sealed calls (docs/formats.md, "Sealed calls").
export const SEAL_REQUEST_OVERHEAD: number;
export const SEAL_RESPONSE_OVERHEAD: number;
/** The keys a sealed request leaves with its caller, to open the answer. */
export type SealKeys = unknown;
export interface SealBinding { hash: string; function?: string; fuel: number | bigint; name?: string }
/** Seals plaintext to the network key (66 hex) for the call described by binding. */
export function sealRequest(networkKey: string, binding: SealBinding,
                            plaintext: Uint8Array): { sealed: Uint8Array; keys: SealKeys };
/** Opens a sealed output with the request's keys and the answer's input_hash. */
export function openResponse(keys: SealKeys, inputHash: Uint8Array, sealed: Uint8Array): Uint8Array;
