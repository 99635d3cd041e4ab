// keystore.js: a signing key that this browser makes and keeps, and the signed statements it makes.
// The Ed25519 private key is made by WebCrypto as non-extractable and kept as a CryptoKey in
// IndexedDB: it never leaves this device, and not even this page can read its bytes. Statements
// are COSE_Sign1 in the registry's one accepted encoding (docs/formats.md): tag 18, deterministic
// CBOR (shortest heads, map keys sorted by their encoded bytes), an empty unprotected header, and
// the protected header {1: -8, 3: "application/cbor", 4: kid, 15: {1: iss, 2: sub, 6: iat}}.

import { b64urlDecode, b64urlEncode, hex, sha256, sigStructure } from "./verify.js";

const DB = "registry-keys";
const STORE = "keys";
const SLOT = "signer";

// -- deterministic CBOR (the registry's profile: integers, text, bytes, arrays, maps, bool, null)

function head(major, n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not encodable: ${n}`);
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) {
    return Uint8Array.of((major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  }
  const high = Math.floor(n / 0x100000000);
  const low = n >>> 0;
  return Uint8Array.of(
    (major << 5) | 27,
    (high >>> 24) & 0xff, (high >> 16) & 0xff, (high >> 8) & 0xff, high & 0xff,
    low >>> 24, (low >> 16) & 0xff, (low >> 8) & 0xff, low & 0xff,
  );
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A tagged value for encodeCbor. */
export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** Deterministic CBOR of a value: a Map (integer or text keys) or a plain object (text keys). */
export function encodeCbor(value) {
  if (value === null) return Uint8Array.of(0xf6);
  if (value === false) return Uint8Array.of(0xf4);
  if (value === true) return Uint8Array.of(0xf5);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error("only integers are encodable");
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(encodeCbor));
  if (value instanceof Tagged) return concat(head(6, value.tag), encodeCbor(value.value));
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const encoded = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [encodeCbor(k), encodeCbor(v)])
    .sort((a, b) => compareBytes(a[0], b[0]));
  return concat(head(5, encoded.length), ...encoded.flat());
}

// -- the key: made here, kept in IndexedDB, never exported

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The key this browser keeps: {privateKey, publicKey (32 bytes), kid (32 bytes)}, or null. */
export async function loadKey() {
  const kept = await withStore("readonly", (store) => store.get(SLOT));
  if (!kept) return null;
  return { privateKey: kept.privateKey, publicKey: kept.publicKey, kid: kept.kid };
}

/** Make a new Ed25519 key (the private half non-extractable) and keep it; as loadKey. */
export async function createKey() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const kid = await sha256(publicKey);
  const kept = { privateKey: pair.privateKey, publicKey, kid };
  await withStore("readwrite", (store) => store.put(kept, SLOT));
  return kept;
}

/** Forget the key kept here (it cannot be recovered: the registry never had it). */
export async function forgetKey() {
  await withStore("readwrite", (store) => store.delete(SLOT));
}

export function kidHex(key) {
  return hex(key.kid);
}

// -- statements

/**
 * A signed statement of `payload` (its `type` says the statement type) by `key`, issued now.
 * Binary fields of the payload must be Uint8Array.
 */
export async function signStatement(key, payload, issuer = kidHex(key), issuedAt = null) {
  const iat = issuedAt ?? Math.floor(Date.now() / 1000);
  const claims = new Map([[1, issuer], [2, payload.type], [6, iat]]);
  const protectedHeader = new Map([
    [1, -8],
    [3, "application/cbor"],
    [4, key.kid],
    [15, claims],
  ]);
  const protectedBytes = encodeCbor(protectedHeader);
  const payloadBytes = encodeCbor(payload);
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      { name: "Ed25519" },
      key.privateKey,
      sigStructure(protectedBytes, payloadBytes),
    ),
  );
  return encodeCbor(new Tagged(18, [protectedBytes, new Map(), payloadBytes, signature]));
}

/** A hex or base64url hash from the page, as bytes. */
export function hashBytes(text) {
  if (/^[0-9a-f]{64}$/i.test(text)) {
    return Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));
  }
  return b64urlDecode(text);
}

export { b64urlEncode };
