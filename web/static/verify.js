// verify.js: verify a registry record in the browser, from raw bytes, without trusting the server.
//
// Shared by the verify pages (/v/{index} and /verify). Pure functions over bytes and text, plus
// two entry points that take a fetch function: verifyRecord (online, a link QR) and
// verifyOffline (an offline QR payload). The wire formats are docs/formats.md's:
//   signed statement  COSE_Sign1 (RFC 9052), EdDSA/Ed25519, deterministic CBOR payload
//   leaf              [1, index, prev_leaf_hash, registered_at, statement_sha256]
//   receipt           COSE Receipt (RFC 9942), RFC9162_SHA256 inclusion proof, signed tree size
//   checkpoint        C2SP tlog-checkpoint in a C2SP signed note
//   offline QR        "PI1:" + base45(zlib(CBOR map {1..5}))
// Only WebCrypto (SHA-256, Ed25519) and DecompressionStream are used; no library.
//
// A check yields {id, status, code, params}: status is "pass", "fail", "warn", "skip" or "info";
// code names the message in the page's string dictionary (web/i18n/*.json, key "check.<code>").

export const LIMITS = Object.freeze({
  cbor: 64 * 1024, // largest CBOR item looked at (as registry/verify/cbor.py)
  depth: 16, // deepest CBOR nesting accepted
  inflated: 64 * 1024, // largest decompressed offline payload
  proof: 64, // longest Merkle path (a tree of 2^64 leaves)
  note: 128 * 1024, // largest signed note
});

const HASH_SIZE = 32;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_KID = 4;
const HEADER_CWT_CLAIMS = 15;
const HEADER_VDS = 395;
const HEADER_VDP = 396;
const HEADER_LEAF = -65537;
const HEADER_TREE_SIZE = -65538;
const ALG_EDDSA = -8;
const VDS_RFC9162_SHA256 = 1;
const VDP_INCLUSION = -1;
const OFFLINE_PREFIX = "PI1:";

/** A verification failure with a code the pages translate, and the values it names. */
export class VerifyError extends Error {
  constructor(code, params = {}) {
    super(`${code}${Object.keys(params).length ? " " + JSON.stringify(params) : ""}`);
    this.name = "VerifyError";
    this.code = code;
    this.params = params;
  }
}

function fail(code, params) {
  throw new VerifyError(code, params);
}

// ---------------------------------------------------------------------------------------------
// Bytes and text encodings

/** Lowercase hex of bytes. */
export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether two byte arrays are equal. */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function b64Encode(bytes, alphabet, pad) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += alphabet[(n >> (18 - 6 * c)) & 63];
    if (pad) out += "=".repeat(4 - chars);
  }
  return out;
}

// Strict: only the alphabet, and only the one canonical encoding of the bytes (unused bits zero),
// so no two texts name the same bytes.
function b64Decode(text, alphabet, pad, what) {
  if (typeof text !== "string") fail("bad-encoding", { what });
  let body = text;
  if (pad) {
    if (text.length % 4 !== 0) fail("bad-encoding", { what });
    body = text.replace(/={1,2}$/, "");
  }
  if (body.length % 4 === 1) fail("bad-encoding", { what });
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of body) {
    const v = alphabet.indexOf(ch);
    if (v < 0) fail("bad-encoding", { what });
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  if (value & ((1 << bits) - 1)) fail("bad-encoding", { what });
  if (b64Encode(out, alphabet, pad) !== text) fail("bad-encoding", { what });
  return out;
}

const B64URL = B64.slice(0, 62) + "-_";

/** Base64url without padding (how binary values travel in the registry's JSON), strict. */
export function b64urlDecode(text, what = "base64url") {
  return b64Decode(text, B64URL, false, what);
}

/** Base64url without padding. */
export function b64urlEncode(bytes) {
  return b64Encode(bytes, B64URL, false);
}

/** Standard padded base64 (checkpoints, signed notes), canonical form only. */
export function b64Decode64(text, what = "base64") {
  return b64Decode(text, B64, true, what);
}

/** Standard padded base64. */
export function b64Encode64(bytes) {
  return b64Encode(bytes, B64, true);
}

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/** RFC 9285 base45, strict: every group in range, no dangling character. */
export function base45Decode(text) {
  if (text.length % 3 === 1) fail("bad-encoding", { what: "base45" });
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const group = text.slice(i, i + 3);
    const v = Array.from(group, (ch) => B45.indexOf(ch));
    if (v.some((x) => x < 0)) fail("bad-encoding", { what: "base45" });
    if (v.length === 3) {
      const n = v[0] + v[1] * 45 + v[2] * 2025;
      if (n > 0xffff) fail("bad-encoding", { what: "base45" });
      out.push(n >> 8, n & 0xff);
    } else {
      const n = v[0] + v[1] * 45;
      if (n > 0xff) fail("bad-encoding", { what: "base45" });
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

// ---------------------------------------------------------------------------------------------
// Strict CBOR (RFC 8949): definite lengths, ints, bstr, tstr, arrays, maps, tag 18, false/true/null.
// Core deterministic encoding is required (docs/formats.md): shortest heads, map keys sorted by
// their encoded bytes with no duplicates. Maps decode to Map (keys: numbers or strings), bstr to
// Uint8Array, tag 18 to CborTag. Integers beyond 2^53 - 1 are refused: nothing here needs them.

/** A tagged CBOR item. */
export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Decode exactly one CBOR item from bytes; throws VerifyError("bad-cbor", {what, why}).
 * `what` names the item in messages ("statement", "leaf"...).
 */
export function decodeCbor(bytes, what = "CBOR", maxSize = LIMITS.cbor) {
  if (!(bytes instanceof Uint8Array)) fail("bad-cbor", { what, why: "not bytes" });
  if (bytes.length === 0) fail("bad-cbor", { what, why: "empty" });
  if (bytes.length > maxSize) fail("bad-cbor", { what, why: `over ${maxSize} bytes` });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // keep a BOM as text
  let at = 0;
  const bad = (why) => fail("bad-cbor", { what, why: `${why} at byte ${at}` });
  const need = (n) => {
    if (n > bytes.length - at) bad("truncated");
  };

  // The head's argument, refusing indefinite lengths and non-shortest forms.
  function argument(info) {
    if (info < 24) return info;
    let value;
    if (info === 24) {
      need(1);
      value = bytes[at];
      at += 1;
      if (value < 24) bad("not the shortest form");
    } else if (info === 25) {
      need(2);
      value = view.getUint16(at);
      at += 2;
      if (value <= 0xff) bad("not the shortest form");
    } else if (info === 26) {
      need(4);
      value = view.getUint32(at);
      at += 4;
      if (value <= 0xffff) bad("not the shortest form");
    } else if (info === 27) {
      need(8);
      const big = view.getBigUint64(at);
      at += 8;
      if (big <= 0xffffffffn) bad("not the shortest form");
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) bad("integer too large");
      value = Number(big);
    } else {
      bad(info === 31 ? "indefinite length" : "reserved additional information");
    }
    return value;
  }

  function item(depth) {
    if (depth > LIMITS.depth) bad("nested too deeply");
    need(1);
    const initial = bytes[at];
    at += 1;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      bad("unsupported simple value or float");
    }
    const arg = argument(info);
    switch (major) {
      case 0:
        return arg;
      case 1:
        return -1 - arg;
      case 2:
        need(arg);
        at += arg;
        return bytes.slice(at - arg, at);
      case 3: {
        need(arg);
        at += arg;
        try {
          return utf8.decode(bytes.subarray(at - arg, at));
        } catch {
          return bad("invalid UTF-8");
        }
      }
      case 4: {
        need(arg); // every item takes at least one byte
        const out = [];
        for (let i = 0; i < arg; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        need(arg * 2);
        const out = new Map();
        let previous = null;
        for (let i = 0; i < arg; i++) {
          const start = at;
          const key = item(depth + 1);
          if (typeof key !== "number" && typeof key !== "string") bad("map key not int or text");
          const encoded = bytes.subarray(start, at);
          if (previous !== null && compareBytes(previous, encoded) >= 0) {
            bad("map keys not in deterministic order or duplicated");
          }
          previous = encoded;
          out.set(key, item(depth + 1));
        }
        return out;
      }
      case 6:
        if (arg !== COSE_SIGN1_TAG) bad(`unsupported tag ${arg}`);
        return new CborTag(arg, item(depth + 1));
      default:
        return bad("unknown major type");
    }
  }

  const value = item(0);
  if (at !== bytes.length) fail("bad-cbor", { what, why: "trailing bytes" });
  return value;
}

function head(major, n) {
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n <= 0xff) return Uint8Array.of((major << 5) | 24, n);
  if (n <= 0xffff) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  const out = new Uint8Array(5);
  out[0] = (major << 5) | 26;
  new DataView(out.buffer).setUint32(1, n);
  return out;
}

/** COSE Sig_structure for COSE_Sign1: ["Signature1", protected, h'', payload] in CBOR. */
export function sigStructure(protectedBytes, payload) {
  const context = new TextEncoder().encode("Signature1");
  return concat(
    head(4, 4),
    head(3, context.length),
    context,
    head(2, protectedBytes.length),
    protectedBytes,
    head(2, 0),
    head(2, payload.length),
    payload,
  );
}

// ---------------------------------------------------------------------------------------------
// Hashing and signatures (WebCrypto)

function subtle() {
  if (!globalThis.crypto || !globalThis.crypto.subtle) fail("no-webcrypto");
  return globalThis.crypto.subtle;
}

/** SHA-256 of bytes. */
export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

/** RFC 9162 leaf hash: SHA-256(0x00 ‖ leaf). */
export async function leafHash(leafBytes) {
  return sha256(concat(Uint8Array.of(0), leafBytes));
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** Whether an Ed25519 signature by a raw 32-byte public key over message holds. */
export async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== ED25519_KEY_SIZE) return false;
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  let key;
  try {
    key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    if (error && error.name === "NotSupportedError") fail("no-ed25519");
    return false; // not a valid point: no signature by it can hold
  }
  return subtle().verify({ name: "Ed25519" }, key, signature, message);
}

// ---------------------------------------------------------------------------------------------
// RFC 9162 Merkle proofs (§2.1.3.2 inclusion, §2.1.4.2 consistency). Sizes are JS numbers up to
// 2^53 - 1; halving is done with arithmetic, not 32-bit shifts.

const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function checkHashes(path, ...known) {
  if (!Array.isArray(path) || path.length > LIMITS.proof) fail("bad-proof", { why: "path" });
  for (const h of [...known, ...path]) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) fail("bad-proof", { why: "hash" });
  }
}

/** The root computed from a leaf hash and its inclusion path; throws if the path cannot fit. */
export async function rootFromInclusionProof(index, size, hash, path) {
  checkHashes(path, hash);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    fail("bad-proof", { why: `index ${index} is not in a tree of ${size}` });
  }
  let fn = index;
  let sn = size - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) fail("bad-proof", { why: "path too long" });
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail("bad-proof", { why: "path too short" });
  return r;
}

/** Whether an RFC 9162 consistency proof shows the tree (size1, root1) a prefix of (size2, root2). */
export async function verifyConsistency(size1, size2, root1, root2, path) {
  checkHashes(path, root1, root2);
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 1 || size1 > size2) {
    return false;
  }
  if (size1 === size2) return path.length === 0 && equalBytes(root1, root2);
  let m = size1;
  while (m % 2 === 0) m /= 2;
  const proof = m === 1 ? [root1, ...path] : path; // size1 an exact power of 2
  if (proof.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

// ---------------------------------------------------------------------------------------------
// COSE_Sign1, statements, leaves, receipts

/** Parse a tagged COSE_Sign1 with an EdDSA protected header; payload may be null (detached). */
export function parseSign1(bytes, what) {
  const item = decodeCbor(bytes, what);
  if (!(item instanceof CborTag) || item.tag !== COSE_SIGN1_TAG)
    fail("bad-cose", { what, why: "not tag 18" });
  const body = item.value;
  if (!Array.isArray(body) || body.length !== 4) fail("bad-cose", { what, why: "not 4 items" });
  const [protectedBytes, unprotected, payload, signature] = body;
  if (!(protectedBytes instanceof Uint8Array)) fail("bad-cose", { what, why: "protected" });
  if (!(unprotected instanceof Map)) fail("bad-cose", { what, why: "unprotected" });
  if (payload !== null && !(payload instanceof Uint8Array))
    fail("bad-cose", { what, why: "payload" });
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_SIZE) {
    fail("bad-cose", { what, why: "signature" });
  }
  const header = decodeCbor(protectedBytes, `${what} protected header`);
  if (!(header instanceof Map)) fail("bad-cose", { what, why: "protected header" });
  if (header.get(HEADER_ALG) !== ALG_EDDSA)
    fail("wrong-algorithm", { what, alg: String(header.get(HEADER_ALG)) });
  const kid = header.get(HEADER_KID);
  if (!(kid instanceof Uint8Array) || kid.length !== HASH_SIZE)
    fail("bad-cose", { what, why: "kid" });
  return { protectedBytes, header, unprotected, payload, signature, kid };
}

async function verifySign1(message, publicKey, payload) {
  return ed25519Verify(publicKey, message.signature, sigStructure(message.protectedBytes, payload));
}

/** Parse leaf bytes: [1, index, prev_leaf_hash, registered_at, statement_sha256]. */
export function parseLeaf(bytes) {
  const item = decodeCbor(bytes, "leaf", 256);
  if (!Array.isArray(item) || item.length !== 5) fail("bad-leaf", { why: "not 5 items" });
  const [version, index, prev, registeredAt, statementSha256] = item;
  if (version !== 1) fail("bad-leaf", { why: "version" });
  if (!Number.isSafeInteger(index) || index < 0) fail("bad-leaf", { why: "index" });
  if (!Number.isSafeInteger(registeredAt) || registeredAt < 0) fail("bad-leaf", { why: "time" });
  for (const h of [prev, statementSha256]) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) fail("bad-leaf", { why: "hash" });
  }
  if (index === 0 && !equalBytes(prev, new Uint8Array(HASH_SIZE)))
    fail("bad-leaf", { why: "chain" });
  return { index, prevLeafHash: prev, registeredAt, statementSha256 };
}

/**
 * Verify a signed statement with the signer's raw public key: kid = SHA-256(key), Ed25519 over
 * the Sig_structure. Returns the decoded payload (a Map) and CWT claims.
 */
export async function verifyStatement(statement, publicKey) {
  const message = parseSign1(statement, "statement");
  if (message.payload === null) fail("bad-cose", { what: "statement", why: "detached payload" });
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_SIZE)
    fail("no-signer-key");
  const kid = await sha256(publicKey);
  if (!equalBytes(kid, message.kid)) {
    fail("kid-mismatch", { kid: hex(message.kid).slice(0, 16), key: hex(kid).slice(0, 16) });
  }
  if (!(await verifySign1(message, publicKey, message.payload)))
    fail("bad-signature", { kid: hex(kid).slice(0, 16) });
  const payload = decodeCbor(message.payload, "statement payload");
  if (!(payload instanceof Map)) fail("bad-cbor", { what: "statement payload", why: "not a map" });
  const claims = message.header.get(HEADER_CWT_CLAIMS);
  return {
    payload,
    kid,
    issuer: claims instanceof Map ? claims.get(1) : undefined,
    subject: claims instanceof Map ? claims.get(2) : undefined,
    issuedAt: claims instanceof Map ? claims.get(6) : undefined,
  };
}

/** The trusted log key whose kid (SHA-256 of the raw key) is `kid`, or undefined. */
function logKeyByKid(trust, kid) {
  return trust.logKeys.find((k) => equalBytes(k.kid, kid));
}

/**
 * Verify a COSE Receipt against the trusted log keys (RFC 9942 with the registry's signed size):
 * returns {size, index, root, leafBytes, leaf, leafHash, origin, issuedAt}.
 */
export async function verifyReceipt(receipt, trust) {
  const message = parseSign1(receipt, "receipt");
  if (message.header.get(HEADER_VDS) !== VDS_RFC9162_SHA256) fail("bad-receipt", { why: "vds" });
  if (message.payload !== null) fail("bad-receipt", { why: "payload not detached" });
  const key = logKeyByKid(trust, message.kid);
  if (!key) fail("unknown-log-key", { kid: hex(message.kid).slice(0, 16) });
  const vdp = message.unprotected.get(HEADER_VDP);
  const proofs = vdp instanceof Map ? vdp.get(VDP_INCLUSION) : undefined;
  if (!Array.isArray(proofs) || proofs.length !== 1 || !(proofs[0] instanceof Uint8Array)) {
    fail("bad-receipt", { why: "one inclusion proof expected" });
  }
  const proof = decodeCbor(proofs[0], "inclusion proof");
  if (!Array.isArray(proof) || proof.length !== 3) fail("bad-receipt", { why: "inclusion proof" });
  const [size, index, path] = proof;
  if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0) {
    fail("bad-receipt", { why: "size or index" });
  }
  const signedSize = message.header.get(HEADER_TREE_SIZE);
  if (signedSize !== size) fail("size-mismatch", { proof: size, signed: String(signedSize) });
  const leafBytes = message.unprotected.get(HEADER_LEAF);
  if (!(leafBytes instanceof Uint8Array)) fail("bad-receipt", { why: "no leaf" });
  const leaf = parseLeaf(leafBytes);
  if (leaf.index !== index) fail("bad-receipt", { why: "leaf index is not the proof's" });
  const hash = await leafHash(leafBytes);
  const root = await rootFromInclusionProof(index, size, hash, path);
  if (!(await verifySign1(message, key.publicKey, root)))
    fail("bad-receipt-signature", { root: hex(root).slice(0, 16) });
  const claims = message.header.get(HEADER_CWT_CLAIMS);
  const origin = claims instanceof Map ? claims.get(1) : undefined;
  if (origin !== undefined && origin !== trust.origin)
    fail("wrong-origin", { origin: String(origin) });
  return {
    size,
    index,
    root,
    leafBytes,
    leaf,
    leafHash: hash,
    origin,
    issuedAt: claims instanceof Map ? claims.get(6) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// C2SP signed notes and checkpoints

/** C2SP signed-note key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export async function noteKeyId(name, type, publicKey) {
  const prefix = new TextEncoder().encode(`${name}\n`);
  return (await sha256(concat(prefix, Uint8Array.of(type), publicKey))).slice(0, 4);
}

/**
 * Verify a checkpoint (a C2SP signed note) with the trusted log key and parse its body:
 * returns {origin, size, root, unknownSignatures}. Signatures by keys we do not know (witnesses
 * we were not told about) are set aside, as the spec says; a bad signature by a known key fails.
 */
export async function verifyCheckpoint(note, trust) {
  if (typeof note !== "string" || note.length > LIMITS.note)
    fail("bad-checkpoint", { why: "size" });
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) fail("bad-checkpoint", { why: "no signature block" });
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  const message = new TextEncoder().encode(text);
  let verified = 0;
  let unknown = 0;
  for (const line of lines) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) fail("bad-checkpoint", { why: "signature line" });
    const blob = b64Decode64(match[2], "signature");
    if (blob.length < 5) fail("bad-checkpoint", { why: "signature line" });
    const id = blob.slice(0, 4);
    const key = trust.logKeys.find((k) => k.noteName === match[1] && equalBytes(k.noteKeyId, id));
    if (!key) {
      unknown += 1;
      continue;
    }
    if (!(await ed25519Verify(key.publicKey, blob.slice(4), message)))
      fail("bad-checkpoint-signature");
    verified += 1;
  }
  if (verified === 0) fail("checkpoint-unsigned");
  const body = text.slice(0, -1).split("\n");
  if (body.length < 3) fail("bad-checkpoint", { why: "body" });
  const [origin, sizeText] = body;
  if (origin !== trust.origin) fail("wrong-origin", { origin });
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail("bad-checkpoint", { why: "size" });
  }
  const root = b64Decode64(body[2], "root");
  if (root.length !== HASH_SIZE) fail("bad-checkpoint", { why: "root" });
  return { origin, size: Number(sizeText), root, unknownSignatures: unknown };
}

// ---------------------------------------------------------------------------------------------
// The trust list: a pinned copy of the registry's /.well-known/transparency-configuration

/**
 * Read a pinned transparency-configuration document into {origin, logKeys, adminKeys}, checking
 * that each log key's JWK, kid and C2SP verifier key string agree.
 */
export async function parseTrustList(doc) {
  if (!doc || typeof doc.origin !== "string" || !Array.isArray(doc.keys)) fail("bad-trust-list");
  const logKeys = [];
  for (const entry of doc.keys) {
    const publicKey = b64urlDecode(entry?.jwk?.x ?? "", "trusted key");
    if (publicKey.length !== ED25519_KEY_SIZE) fail("bad-trust-list");
    const kid = await sha256(publicKey);
    if (entry.kid !== undefined && entry.kid !== hex(kid)) fail("bad-trust-list");
    // <name>+<key id hex>+<base64(0x01 ‖ key)>; the base64 part may itself contain "+".
    const parts = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(String(entry.note_verifier_key ?? ""));
    if (!parts) fail("bad-trust-list");
    const [, noteName, keyIdHex, blob64] = parts;
    const blob = b64Decode64(blob64, "verifier key");
    if (blob.length !== 33 || blob[0] !== 0x01 || !equalBytes(blob.slice(1), publicKey))
      fail("bad-trust-list");
    const noteKeyIdBytes = await noteKeyId(noteName, 0x01, publicKey);
    if (hex(noteKeyIdBytes) !== keyIdHex) fail("bad-trust-list");
    logKeys.push({
      publicKey,
      kid,
      noteName,
      noteKeyId: noteKeyIdBytes,
      verifierKey: entry.note_verifier_key,
    });
  }
  if (logKeys.length === 0) fail("bad-trust-list");
  const adminKeys = [];
  for (const entry of doc.admin_keys ?? []) {
    const publicKey = b64urlDecode(entry?.public_key ?? "", "admin key");
    if (publicKey.length !== ED25519_KEY_SIZE) fail("bad-trust-list");
    adminKeys.push({ publicKey, kid: await sha256(publicKey) });
  }
  return { origin: doc.origin, logKeys, adminKeys };
}

// ---------------------------------------------------------------------------------------------
// Running checks

function failure(error) {
  if (error instanceof VerifyError) return { code: error.code, params: error.params };
  return {
    code: "internal",
    params: { why: String(error && error.message ? error.message : error) },
  };
}

// Run one check: body returns {code, params, status?} on success or throws.
async function run(checks, id, body) {
  try {
    const result = await body();
    const check = { id, status: "pass", params: {}, ...result };
    checks.push(check);
    return check;
  } catch (error) {
    const { code, params } = failure(error);
    const check = { id, status: "fail", code, params };
    checks.push(check);
    return check;
  }
}

async function get(fetcher, url, kind, accept) {
  let response;
  try {
    response = await fetcher(url, {
      headers: { Accept: accept },
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new VerifyError("fetch-failed", { url, status: "network" });
  }
  if (!response.ok) throw new VerifyError("fetch-failed", { url, status: String(response.status) });
  if (kind === "bytes") return new Uint8Array(await response.arrayBuffer());
  if (kind === "json") return response.json();
  return response.text();
}

// Settle a promise into {value} or {error} so that one failed fetch fails only the checks needing it.
async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

function unwrap(settled) {
  if (settled.error) throw settled.error;
  return settled.value;
}

/** The overall verdict from the checks: "invalid", "revoked" or "valid". */
export function verdictOf(checks, core) {
  if (checks.some((c) => core.includes(c.id) && c.status === "fail")) return "invalid";
  if (checks.some((c) => c.id === "revocation" && c.revoked)) return "revoked";
  return "valid";
}

const ONLINE_CORE = ["signature", "statement", "fragment", "receipt", "checkpoint"];

/**
 * Verify entry `index` online, from raw bytes fetched from `base` (default: this origin):
 *   (1) signature   the signer's Ed25519 signature over the statement, kid = SHA-256(key);
 *   (2) statement   the leaf's statement_sha256 is SHA-256 of the statement bytes;
 *   (3) fragment    the leaf hash starts with the link's fragment (16 bytes, base64url);
 *   (4) receipt     root from the leaf hash and inclusion proof, signed by a pinned log key,
 *                   over the signed tree size;
 *   (5) checkpoint  the latest checkpoint is signed by the pinned log key and the receipt's
 *                   tree is consistent with it (RFC 9162 consistency proof, or equal roots);
 *   (6) revocation  the server's status; a revocation it names is fetched and checked.
 * Returns {verdict, checks, record}.
 */
export async function verifyRecord({ index, fragment, trust, fetcher, base = "" }) {
  fetcher ??= globalThis.fetch.bind(globalThis);
  const checks = [];
  const entry = `${base}/entries/${index}`;
  const [statementR, receiptR, viewR, noteR] = await Promise.all([
    settle(get(fetcher, `${entry}/statement`, "bytes", "application/cose")),
    settle(get(fetcher, entry, "bytes", "application/cose")),
    settle(get(fetcher, entry, "json", "application/json")),
    settle(get(fetcher, `${base}/checkpoint`, "text", "text/plain")),
  ]);
  const record = { index };

  // The leaf: the receipt carries it (and signs it, through the root); the JSON view repeats it.
  let leafBytes = null;
  let receiptMessage = null;
  try {
    receiptMessage = parseSign1(unwrap(receiptR), "receipt");
    const carried = receiptMessage.unprotected.get(HEADER_LEAF);
    if (carried instanceof Uint8Array) leafBytes = carried;
  } catch {
    // reported by check (4)
  }

  // (1) signature
  await run(checks, "signature", async () => {
    const view = unwrap(viewR);
    if (!view.signer || !view.signer.public_key) fail("no-signer-key");
    const publicKey = b64urlDecode(view.signer.public_key, "signer key");
    const statement = await verifyStatement(unwrap(statementR), publicKey);
    record.statement = statement;
    record.signer = view.signer;
    record.signerKey = publicKey;
    return {
      code: "signature-ok",
      params: { name: view.signer.name ?? "?", kid: hex(statement.kid).slice(0, 16) },
    };
  });

  // (2) statement hash in the leaf
  await run(checks, "statement", async () => {
    const view = unwrap(viewR);
    const fromView = b64urlDecode(view?.leaf?.bytes ?? "", "leaf");
    if (leafBytes === null) leafBytes = fromView;
    else if (!equalBytes(leafBytes, fromView)) fail("leaf-disagrees");
    const leaf = parseLeaf(leafBytes);
    if (leaf.index !== index) fail("wrong-index", { got: leaf.index, want: index });
    const digest = await sha256(unwrap(statementR));
    if (!equalBytes(digest, leaf.statementSha256)) {
      fail("statement-hash-mismatch", {
        got: hex(digest).slice(0, 16),
        want: hex(leaf.statementSha256).slice(0, 16),
      });
    }
    record.leaf = leaf;
    return { code: "statement-ok", params: { sha256: hex(digest).slice(0, 16) } };
  });

  // (3) the link's fragment
  await run(checks, "fragment", async () => {
    if (!fragment) return { status: "warn", code: "fragment-missing" };
    if (leafBytes === null) fail("bad-leaf", { why: "no leaf" });
    const want = b64urlDecode(fragment, "fragment");
    if (want.length !== 16) fail("bad-fragment");
    const hash = await leafHash(leafBytes);
    if (!equalBytes(hash.slice(0, 16), want)) {
      fail("fragment-mismatch", { got: b64urlEncode(hash.slice(0, 16)), want: fragment });
    }
    return { code: "fragment-ok", params: { fragment } };
  });

  // (4) the receipt
  let receipt = null;
  await run(checks, "receipt", async () => {
    receipt = await verifyReceipt(unwrap(receiptR), trust);
    if (receipt.index !== index) fail("wrong-index", { got: receipt.index, want: index });
    return {
      code: "receipt-ok",
      params: { size: receipt.size, root: hex(receipt.root).slice(0, 16) },
    };
  });

  // (5) the checkpoint, and the receipt's tree consistent with it
  await run(checks, "checkpoint", async () => {
    const checkpoint = await verifyCheckpoint(unwrap(noteR), trust);
    record.checkpoint = checkpoint;
    if (receipt === null) fail("no-receipt");
    const params = { old: receipt.size, size: checkpoint.size };
    if (receipt.size > checkpoint.size) fail("checkpoint-older", params);
    if (receipt.size === checkpoint.size) {
      if (!equalBytes(receipt.root, checkpoint.root)) fail("fork", params);
      return { code: "checkpoint-same", params };
    }
    const url = `${base}/proofs/consistency?old=${receipt.size}&new=${checkpoint.size}`;
    const proof = await get(fetcher, url, "json", "application/json");
    const path = (proof.path ?? []).map((h) => b64urlDecode(h, "consistency proof"));
    if (
      !(await verifyConsistency(receipt.size, checkpoint.size, receipt.root, checkpoint.root, path))
    ) {
      fail("inconsistent", params);
    }
    return { code: "checkpoint-ok", params };
  });

  // (6) revocation
  await run(checks, "revocation", async () => {
    const status = unwrap(viewR).status ?? {};
    if (!status.revoked) return { status: "info", code: "not-revoked" };
    const by = status.revoked_by;
    const params = { by: String(by), reason: String(status.reason ?? "") };
    try {
      await verifyRevocation({ index, by, trust, fetcher, base, signerKey: record.signerKey });
    } catch (error) {
      const why = failure(error);
      return {
        status: "warn",
        revoked: true,
        code: "revoked-unproven",
        params: { ...params, why: why.code },
      };
    }
    return { status: "warn", revoked: true, code: "revoked-proven", params };
  });

  return { verdict: verdictOf(checks, ONLINE_CORE), checks, record };
}

/**
 * Check that entry `by` revokes entry `index`: a revocation statement signed by the original
 * signer or a pinned admin key, logged (receipt by a pinned log key) with that statement.
 */
async function verifyRevocation({ index, by, trust, fetcher, base, signerKey }) {
  if (!Number.isSafeInteger(by) || by < 0) fail("bad-revocation");
  const entry = `${base}/entries/${by}`;
  const [statementBytes, receiptBytes, view] = await Promise.all([
    get(fetcher, `${entry}/statement`, "bytes", "application/cose"),
    get(fetcher, entry, "bytes", "application/cose"),
    get(fetcher, entry, "json", "application/json"),
  ]);
  const key = b64urlDecode(view?.signer?.public_key ?? "", "signer key");
  const allowed = [signerKey, ...trust.adminKeys.map((k) => k.publicKey)].filter(Boolean);
  if (!allowed.some((k) => equalBytes(k, key))) fail("revoker-not-allowed");
  const statement = await verifyStatement(statementBytes, key);
  if (statement.payload.get("type") !== "revocation" || statement.payload.get("entry") !== index) {
    fail("bad-revocation");
  }
  const receipt = await verifyReceipt(receiptBytes, trust);
  if (receipt.index !== by) fail("wrong-index", { got: receipt.index, want: by });
  if (!equalBytes(await sha256(statementBytes), receipt.leaf.statementSha256))
    fail("statement-hash-mismatch");
}

// ---------------------------------------------------------------------------------------------
// Offline QR: "PI1:" + base45(zlib(CBOR map))

/** Inflate zlib bytes with DecompressionStream, refusing output over `limit` bytes. */
export async function inflate(bytes, limit = LIMITS.inflated) {
  if (typeof DecompressionStream === "undefined") fail("no-decompression");
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        fail("bad-offline", { why: "too large" });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    fail("bad-offline", { why: "zlib" });
  }
  return concat(...chunks);
}

/** Whether text is an offline QR payload (by its prefix). */
export function isOfflinePayload(text) {
  return typeof text === "string" && text.startsWith(OFFLINE_PREFIX);
}

/** Decode an offline QR payload into {statement, publicKey, leafBytes, receipt?, entryTimestamp?}. */
export async function decodeOffline(text) {
  if (!isOfflinePayload(text)) fail("bad-offline", { why: "prefix" });
  const map = decodeCbor(
    await inflate(base45Decode(text.slice(OFFLINE_PREFIX.length))),
    "offline payload",
  );
  if (!(map instanceof Map)) fail("bad-offline", { why: "not a map" });
  for (const key of map.keys()) {
    if (![1, 2, 3, 4, 5].includes(key)) fail("bad-offline", { why: `unknown key ${key}` });
    if (!(map.get(key) instanceof Uint8Array)) fail("bad-offline", { why: `key ${key} not bytes` });
  }
  for (const key of [1, 2, 3])
    if (!map.has(key)) fail("bad-offline", { why: `missing key ${key}` });
  if (map.has(4) === map.has(5))
    fail("bad-offline", { why: "needs a receipt (4) or an entry timestamp (5)" });
  return {
    statement: map.get(1),
    publicKey: map.get(2),
    leafBytes: map.get(3),
    receipt: map.get(4),
    entryTimestamp: map.get(5),
  };
}

/** Verify the registry's signed entry timestamp (COSE_Sign1 over the leaf bytes, detached). */
async function verifyEntryTimestamp(bytes, leafBytes, trust) {
  const message = parseSign1(bytes, "entry timestamp");
  if (message.payload !== null) fail("bad-receipt", { why: "payload not detached" });
  const key = logKeyByKid(trust, message.kid);
  if (!key) fail("unknown-log-key", { kid: hex(message.kid).slice(0, 16) });
  if (!(await verifySign1(message, key.publicKey, leafBytes)))
    fail("bad-receipt-signature", { root: "-" });
  const claims = message.header.get(HEADER_CWT_CLAIMS);
  const origin = claims instanceof Map ? claims.get(1) : undefined;
  if (origin !== undefined && origin !== trust.origin)
    fail("wrong-origin", { origin: String(origin) });
}

const OFFLINE_CORE = ["payload", "signature", "statement", "receipt"];

/**
 * Verify an offline QR payload with nothing but the pinned trust list:
 *   (0) payload     the prefix, base45, zlib and CBOR map decode strictly;
 *   (1) signature   the statement's signature by key 2, kid = SHA-256(key 2);
 *   (2) statement   the leaf (key 3) logs SHA-256 of the statement;
 *   (4) receipt     the receipt (key 4) proves that leaf under a pinned log key, or the
 *                   registry's entry timestamp (key 5) signs it;
 *   (5) checkpoint  cannot be compared offline (skip); (6) revocation cannot be known offline.
 * Returns {verdict, checks, record} where record.fragment is the leaf hash's first 16 bytes.
 */
export async function verifyOffline(text, trust) {
  const checks = [];
  const record = {};
  let offline = null;
  await run(checks, "payload", async () => {
    offline = await decodeOffline(text);
    return { code: "payload-ok", params: { bytes: text.length } };
  });
  if (offline === null) return { verdict: "invalid", checks, record };
  await run(checks, "signature", async () => {
    const statement = await verifyStatement(offline.statement, offline.publicKey);
    record.statement = statement;
    return { code: "signature-ok-offline", params: { kid: hex(statement.kid).slice(0, 16) } };
  });
  await run(checks, "statement", async () => {
    const leaf = parseLeaf(offline.leafBytes);
    record.leaf = leaf;
    record.index = leaf.index;
    const hash = await leafHash(offline.leafBytes);
    record.fragment = b64urlEncode(hash.slice(0, 16));
    const digest = await sha256(offline.statement);
    if (!equalBytes(digest, leaf.statementSha256)) {
      fail("statement-hash-mismatch", {
        got: hex(digest).slice(0, 16),
        want: hex(leaf.statementSha256).slice(0, 16),
      });
    }
    return { code: "statement-ok", params: { sha256: hex(digest).slice(0, 16) } };
  });
  await run(checks, "receipt", async () => {
    if (offline.receipt) {
      const receipt = await verifyReceipt(offline.receipt, trust);
      if (!equalBytes(receipt.leafBytes, offline.leafBytes)) fail("leaf-disagrees");
      return {
        code: "receipt-ok",
        params: { size: receipt.size, root: hex(receipt.root).slice(0, 16) },
      };
    }
    await verifyEntryTimestamp(offline.entryTimestamp, offline.leafBytes, trust);
    return { code: "entry-timestamp-ok" };
  });
  checks.push({ id: "checkpoint", status: "skip", code: "checkpoint-offline", params: {} });
  checks.push({ id: "revocation", status: "info", code: "revocation-offline", params: {} });
  return { verdict: verdictOf(checks, OFFLINE_CORE), checks, record };
}
