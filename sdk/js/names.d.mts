// Types of names.mjs (esgx-client/names): signed name records and owner pinning.
export interface NameTransfer { seq: number; from: string; to: string; signature: string }
export interface NameRecord {
  name: string; network: string; hash: string; encrypted: boolean; seq: number;
  owner: string; signature: string; transfers: NameTransfer[];
}
/** Where owners are pinned, under "NETWORK NAME": a Map or any get/set store. */
export interface OwnerStore {
  get(key: string): { owner: string; seq: number } | undefined | Promise<{ owner: string; seq: number } | undefined>;
  set(key: string, value: { owner: string; seq: number }): unknown;
}
export function parseTransfer(t: unknown, where?: string): NameTransfer;
export function parseRecord(text: string): NameRecord;
export function recordDigest(rec: NameRecord): Uint8Array;
export function transferDigest(network: string, name: string, t: NameTransfer): Uint8Array;
/** Throws unless the owner signed rec for networkKey (null: any network). */
export function verifyRecord(rec: NameRecord, networkKey: string | null): void;
/** Checks the chain of transfers from pinnedOwner to the record's owner; throws if broken. */
export function ownerChain(rec: NameRecord, pinnedOwner: string): void;
export function fetchRecord(node: string | URL, name: string, networkKey: string): Promise<NameRecord>;
/** Checks rec's owner against the pin in store (pins on first use); throws on a rollback
 *  or a foreign owner. */
export function checkOwner(rec: NameRecord, store: OwnerStore,
                           opts?: { owner?: string }): Promise<'pinned' | 'same' | 'moved' | 'demanded'>;
/** The bytes a call by name adds to input_hash (empty for a call by hash). */
export function recordBinding(req: { name?: string; owner?: string; seq?: number }): Uint8Array;
/** Throws unless the answer header is bound to the same record as req. */
export function checkBinding(header: { name?: string; owner?: string; seq?: number },
                             req: { name?: string; owner?: string; seq?: number }): void;
