// verify.js: verify a registry record in the browser, from raw bytes, without trusting the server.
//
// Shared by the verify pages (/v/{index} and /verify). Pure functions over bytes and text, plus
// two entry points that take a fetch function: verifyRecord (online, a link QR) and
// verifyOffline (an offline QR payload). The wire formats are docs/formats.md's:
//   signed statement  COSE_Sign1 (RFC 9052), EdDSA/Ed25519, deterministic CBOR payload
//   leaf              [1, index, prev_leaf_hash, registered_at, statement_sha256]
//   receipt           COSE Receipt (RFC 9942), RFC9162_SHA256 inclusion proof, signed tree size
//   checkpoint        C2SP tlog-checkpoint in a C2SP signed note, with C2SP tlog-cosignature/v1
//                     witness cosignatures; the pinned trust list says which witnesses count and
//                     how many must cosign (docs/witness.md)
//   offline QR        "PI1:" + base45(zlib(CBOR map {1..6}))
// Only WebCrypto (SHA-256, Ed25519) and DecompressionStream are used; no library.
//
// A check yields {id, status, code, params}: status is "pass", "fail", "warn", "skip" or "info";
// code names the message in the page's string dictionary (web/i18n/*.json, key "check.<code>").
// A failure also carries `reason`, the code registry/verify gives the same refusal (its Reason:
// "bad-signature", "non-canonical-encoding", ...): both verifiers are run over the same cases
// (tests/vectors/verify/, docs/verify.md) and must agree on every one.

export const LIMITS = Object.freeze({
  cbor: 64 * 1024, // largest CBOR item looked at (as registry/verify/cbor.py)
  depth: 16, // deepest CBOR nesting accepted (registry/verify/canonical.py)
  inflated: 128 * 1024, // largest decompressed offline payload (registry/verify/qr.py)
  proof: 64, // longest Merkle path (a tree of 2^64 leaves)
  note: 128 * 1024, // largest signed note (registry/verify/note.py)
  signatures: 100, // most signature lines in a note
  offlineText: 4 + (3 * 128 * 1024) / 2, // longest offline QR text looked at
  link: 2048, // longest link QR
});

const HASH_SIZE = 32;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_CONTENT_TYPE = 3;
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
const CONTENT_TYPE = "application/cbor";

// The reason (registry/verify's Reason) of a failure by its code, where one code has one reason.
const REASONS = Object.freeze({
  "bad-encoding": "malformed",
  "bad-cose": "malformed",
  "wrong-algorithm": "wrong-algorithm",
  "non-canonical": "non-canonical-encoding",
  "bad-leaf": "malformed",
  "no-signer-key": "malformed",
  "kid-mismatch": "unknown-key",
  "bad-signature": "bad-signature",
  "bad-statement": "malformed",
  "bad-receipt": "malformed",
  "unknown-log-key": "unknown-key",
  "size-mismatch": "size-mismatch",
  "bad-receipt-signature": "bad-signature",
  "wrong-origin": "wrong-origin",
  "bad-checkpoint": "malformed",
  "bad-checkpoint-signature": "bad-signature",
  "checkpoint-unsigned": "unknown-key",
  "leaf-disagrees": "wrong-leaf",
  "wrong-index": "wrong-leaf",
  "statement-hash-mismatch": "wrong-statement",
  "fragment-mismatch": "wrong-leaf",
  "bad-fragment": "malformed",
  "bad-link": "malformed",
  fork: "inconsistent",
  inconsistent: "inconsistent",
  "checkpoint-older": "inconsistent",
  "bad-offline": "malformed",
  "bad-cosignature": "bad-signature",
  "bad-witnessed": "malformed",
  "witnessed-not-covering": "index-out-of-range",
  "witnessed-not-receipt": "size-mismatch",
  "witnessed-other-root": "wrong-root",
  "not-witnessed": "not-witnessed",
  "not-witnessed-offline": "not-witnessed",
  "key-outside-validity": "key-outside-validity",
});

/**
 * A verification failure with a code the pages translate, the values it names, and its reason
 * (the code registry/verify gives the same refusal; by default the one its code always has).
 */
export class VerifyError extends Error {
  constructor(code, params = {}, reason = REASONS[code] ?? code) {
    super(`${code}${Object.keys(params).length ? " " + JSON.stringify(params) : ""}`);
    this.name = "VerifyError";
    this.code = code;
    this.params = params;
    this.reason = reason;
  }
}

function fail(code, params, reason) {
  throw new VerifyError(code, params, reason);
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
// The registry's CBOR profile (docs/formats.md; registry/verify/canonical.py implements the same
// rules, with the same reasons): definite lengths, ints, bstr, tstr, arrays, maps, tag 18,
// false/true/null, in core deterministic encoding: shortest heads, map keys (ints or text) sorted
// by their encoded bytes with no duplicates. Maps decode to Map (keys: numbers or strings), bstr
// to Uint8Array, tag 18 to CborTag. Integers outside -2^53..2^53-1 are refused: nothing needs them.

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

const NOT_DETERMINISTIC = "not-deterministic";
const MALFORMED = "malformed";

/**
 * Decode exactly one CBOR item of the profile from bytes; throws VerifyError("bad-cbor",
 * {what, why}) whose reason is registry/verify's: empty, oversized, truncated, not-deterministic
 * (a longer head than needed, an indefinite length, map keys out of order or repeated),
 * trailing-data, or malformed (anything else outside the profile).
 * `what` names the item in messages ("statement", "leaf"...).
 */
export function decodeCbor(bytes, what = "CBOR", maxSize = LIMITS.cbor) {
  if (!(bytes instanceof Uint8Array)) fail("bad-cbor", { what, why: "not bytes" }, "wrong-type");
  if (bytes.length === 0) fail("bad-cbor", { what, why: "empty" }, "empty");
  if (bytes.length > maxSize) fail("bad-cbor", { what, why: `over ${maxSize} bytes` }, "oversized");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // keep a BOM as text
  let at = 0;
  const bad = (why, reason = MALFORMED) =>
    fail("bad-cbor", { what, why: `${why} at byte ${at}` }, reason);
  const need = (n) => {
    if (n > bytes.length - at) bad("truncated", "truncated");
  };

  // The head's argument, refusing indefinite lengths and non-shortest forms.
  function argument(info) {
    if (info < 24) return info;
    let value;
    let smallest;
    if (info === 24) {
      need(1);
      value = bytes[at];
      at += 1;
      smallest = 24;
    } else if (info === 25) {
      need(2);
      value = view.getUint16(at);
      at += 2;
      smallest = 0x100;
    } else if (info === 26) {
      need(4);
      value = view.getUint32(at);
      at += 4;
      smallest = 0x10000;
    } else if (info === 27) {
      need(8);
      const big = view.getBigUint64(at);
      at += 8;
      if (big < 0x100000000n) bad("not the shortest form", NOT_DETERMINISTIC);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) bad("integer too large");
      return Number(big);
    } else if (info === 31) {
      bad("indefinite length", NOT_DETERMINISTIC);
    } else {
      bad("reserved additional information");
    }
    if (value < smallest) bad("not the shortest form", NOT_DETERMINISTIC);
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
            bad("map keys not in deterministic order or duplicated", NOT_DETERMINISTIC);
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
  if (at !== bytes.length) fail("bad-cbor", { what, why: "trailing bytes" }, "trailing-data");
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

function badProof(why, reason = MALFORMED) {
  fail("bad-proof", { why }, reason);
}

function checkHashes(path, ...known) {
  if (!Array.isArray(path)) badProof("path");
  for (const h of [...known, ...path]) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) badProof("hash");
  }
  if (path.length > LIMITS.proof) badProof("path too long", "wrong-proof-length");
}

function checkSizes(...sizes) {
  if (!sizes.every((n) => Number.isSafeInteger(n) && n >= 0)) badProof("size");
}

/**
 * The root computed from a leaf hash and its inclusion path; throws VerifyError("bad-proof")
 * with the reason registry/verify/merkle.py gives: malformed, index-out-of-range or
 * wrong-proof-length.
 */
export async function rootFromInclusionProof(index, size, hash, path) {
  checkSizes(index, size);
  checkHashes(path, hash);
  if (index >= size) badProof(`index ${index} is not in a tree of ${size}`, "index-out-of-range");
  let fn = index;
  let sn = size - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) badProof("path too long", "wrong-proof-length");
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
  if (sn !== 0) badProof("path too short", "wrong-proof-length");
  return r;
}

/** Check that leaf `index` with `hash` is in the tree of `size` with `root`; throws if not. */
export async function verifyInclusion(index, size, hash, path, root) {
  const computed = await rootFromInclusionProof(index, size, hash, path);
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) badProof("root");
  if (!equalBytes(computed, root)) badProof("the proof leads to another root", "wrong-root");
  return computed;
}

/**
 * Check that the tree (size1, root1) is a prefix of (size2, root2) by an RFC 9162 consistency
 * proof; throws VerifyError("bad-proof") with registry/verify/merkle.py's reason: malformed,
 * size-mismatch, empty (from size 0), wrong-proof-length, inconsistent (equal sizes, other
 * roots) or wrong-root.
 */
export async function checkConsistency(size1, size2, root1, root2, path) {
  checkSizes(size1, size2);
  checkHashes(path);
  if (size2 < size1) badProof("the new size is smaller", "size-mismatch");
  if (size1 === 0) badProof("a proof from the empty tree proves nothing", "empty");
  if (size1 === size2) {
    if (path.length !== 0) badProof("equal sizes need an empty proof", "wrong-proof-length");
    if (!equalBytes(root1, root2)) badProof("two roots for one size", "inconsistent");
    return;
  }
  checkHashes([], root1, root2);
  let m = size1;
  while (m % 2 === 0) m /= 2;
  const proof = m === 1 ? [root1, ...path] : path; // size1 an exact power of 2
  if (proof.length === 0) badProof("path too short", "wrong-proof-length");
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) badProof("path too long", "wrong-proof-length");
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
  if (sn !== 0) badProof("path too short", "wrong-proof-length");
  if (!equalBytes(fr, root1)) badProof("the proof leads to another old root", "wrong-root");
  if (!equalBytes(sr, root2)) badProof("the proof leads to another new root", "wrong-root");
}

/** Whether an RFC 9162 consistency proof shows the tree (size1, root1) a prefix of (size2, root2). */
export async function verifyConsistency(size1, size2, root1, root2, path) {
  try {
    await checkConsistency(size1, size2, root1, root2, path);
    return true;
  } catch (error) {
    if (error instanceof VerifyError) return false;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// COSE_Sign1, statements, leaves, receipts

// A decoding failure of a COSE message or its protected header: a non-deterministic encoding of
// it is a non-canonical one (the message has exactly one accepted encoding).
function decodeEnvelope(bytes, what) {
  try {
    return decodeCbor(bytes, what);
  } catch (error) {
    if (error instanceof VerifyError && error.reason === NOT_DETERMINISTIC) {
      fail("non-canonical", { what, why: error.params.why }, "non-canonical-encoding");
    }
    throw error;
  }
}

/**
 * Parse a COSE_Sign1 with an EdDSA protected header, in its one accepted encoding: tagged 18,
 * the message and its protected header in the CBOR profile (deterministic). The payload may be
 * null (detached). What the unprotected header may hold depends on the kind: callers check it.
 * As registry/verify/cose.py's parse_sign1, step for step.
 */
export function parseSign1(bytes, what) {
  const item = decodeEnvelope(bytes, what);
  if (!(item instanceof CborTag)) {
    if (Array.isArray(item)) fail("non-canonical", { what, why: "not tagged 18" });
    fail("bad-cose", { what, why: "not 4 items" }, "wrong-type");
  }
  const body = item.value;
  if (!Array.isArray(body) || body.length !== 4)
    fail("bad-cose", { what, why: "not 4 items" }, "wrong-type");
  const [protectedBytes, unprotected, payload, signature] = body;
  if (!(protectedBytes instanceof Uint8Array)) fail("bad-cose", { what, why: "protected" });
  if (!(unprotected instanceof Map)) fail("bad-cose", { what, why: "unprotected" });
  if (payload !== null && !(payload instanceof Uint8Array))
    fail("bad-cose", { what, why: "payload" });
  if (!(signature instanceof Uint8Array)) fail("bad-cose", { what, why: "signature" });
  let header = new Map();
  if (protectedBytes.length > 0) {
    header = decodeEnvelope(protectedBytes, `${what} protected header`);
    if (!(header instanceof Map)) fail("bad-cose", { what, why: "protected header" });
  }
  if (header.get(HEADER_ALG) !== ALG_EDDSA)
    fail("wrong-algorithm", { what, alg: String(header.get(HEADER_ALG)) });
  if (signature.length !== ED25519_SIGNATURE_SIZE) fail("bad-cose", { what, why: "signature" });
  const kid = header.get(HEADER_KID);
  return {
    protectedBytes,
    header,
    unprotected,
    payload,
    signature,
    kid: kid instanceof Uint8Array ? kid : null,
  };
}

async function verifySign1(message, publicKey, payload) {
  return ed25519Verify(publicKey, message.signature, sigStructure(message.protectedBytes, payload));
}

// The labels of a header map outside `allowed`, written as registry/verify writes them.
function extraLabels(map, allowed) {
  return [...map.keys()].filter((k) => !allowed.includes(k)).map(String);
}

function requireNoExtraLabels(map, allowed, what) {
  const extra = extraLabels(map, allowed);
  if (extra.length) fail("non-canonical", { what, why: `unprotected labels ${extra.join(" ")}` });
}

// The registry's signed claims {1: origin (text), 6: iat (integer)}, or undefined.
function signedClaims(header) {
  const claims = header.get(HEADER_CWT_CLAIMS);
  if (!(claims instanceof Map)) return undefined;
  const origin = claims.get(1);
  const issuedAt = claims.get(6);
  if (typeof origin !== "string" || !Number.isInteger(issuedAt)) return undefined;
  return { origin, issuedAt };
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
 * Verify a signed statement with the signer's raw public key, as registry/verify/statement.py
 * does: its one accepted encoding (an empty unprotected header), kid = SHA-256(key), Ed25519 over
 * the Sig_structure, a payload map with text keys and a text "type", content type
 * application/cbor, and CWT claims {1: iss, 2: sub (the type), 6: iat}. Returns the decoded
 * payload (a Map) and the claims.
 */
export async function verifyStatement(statement, publicKey) {
  const what = "statement";
  const message = parseSign1(statement, what);
  if (message.unprotected.size !== 0)
    fail("non-canonical", { what, why: "unprotected header not empty" });
  if (message.kid === null || message.kid.length !== HASH_SIZE)
    fail("bad-cose", { what, why: "kid" });
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_SIZE)
    fail("no-signer-key");
  const kid = await sha256(publicKey);
  if (!equalBytes(kid, message.kid)) {
    fail("kid-mismatch", { kid: hex(message.kid).slice(0, 16), key: hex(kid).slice(0, 16) });
  }
  if (message.payload === null) fail("bad-cose", { what, why: "detached payload" });
  if (!(await verifySign1(message, publicKey, message.payload)))
    fail("bad-signature", { kid: hex(kid).slice(0, 16) });
  const payload = decodeCbor(message.payload, "statement payload");
  if (!(payload instanceof Map) || ![...payload.keys()].every((k) => typeof k === "string"))
    fail("bad-statement", { why: "payload not a map with text keys" });
  const type = payload.get("type");
  if (typeof type !== "string" || type === "") fail("bad-statement", { why: "no type" });
  if (message.header.get(HEADER_CONTENT_TYPE) !== CONTENT_TYPE)
    fail("bad-statement", { why: "content type" });
  const claims = message.header.get(HEADER_CWT_CLAIMS);
  if (!(claims instanceof Map)) fail("bad-statement", { why: "no CWT claims" });
  const [issuer, subject, issuedAt] = [claims.get(1), claims.get(2), claims.get(6)];
  if (typeof issuer !== "string" || issuer === "") fail("bad-statement", { why: "iss" });
  if (typeof subject !== "string" || subject === "") fail("bad-statement", { why: "sub" });
  if (!Number.isInteger(issuedAt) || issuedAt < 0) fail("bad-statement", { why: "iat" });
  if (subject !== type) fail("bad-statement", { why: "sub is not the type" });
  return { payload, kid, issuer, subject, issuedAt };
}

/** The trusted log key whose kid (SHA-256 of the raw key) is `kid`, or undefined. */
function logKeyByKid(trust, kid) {
  return trust.logKeys.find((k) => equalBytes(k.kid, kid));
}

/**
 * Refuse a log key signing a tree of `size` entries outside the tree sizes the registry announced
 * for it (registry/verify/validity.py): a retired key after its end, a new key before its start.
 */
function requireValidFor(key, size) {
  const { fromSize, untilSize } = key;
  const n = BigInt(size);
  if (fromSize === null && untilSize === null) return;
  if ((fromSize !== null && n < BigInt(fromSize)) || (untilSize !== null && n > BigInt(untilSize)))
    fail("key-outside-validity", { size: String(size), sizes: validityText(key) });
}

function validityText({ fromSize, untilSize }) {
  return `${fromSize ?? 0}..${untilSize ?? ""}`;
}

/**
 * Verify a COSE Receipt against the trusted log keys (RFC 9942 with the registry's signed size),
 * as registry/verify/receipt.py does, step for step: returns {size, index, root, leafBytes, leaf,
 * leafHash, origin, issuedAt}.
 */
export async function verifyReceipt(receipt, trust) {
  const what = "receipt";
  // (1)
  const message = parseSign1(receipt, what);
  if (message.header.get(HEADER_VDS) !== VDS_RFC9162_SHA256)
    fail("bad-receipt", { why: "vds" }, "wrong-algorithm");
  if (message.payload !== null) fail("bad-receipt", { why: "payload not detached" });
  const claims = signedClaims(message.header);
  if (!claims) fail("bad-receipt", { why: "claims" });
  // (2)
  const key = message.kid && logKeyByKid(trust, message.kid);
  if (!key) fail("unknown-log-key", { kid: hex(message.kid ?? new Uint8Array()).slice(0, 16) });
  // (3)
  const vdp = message.unprotected.get(HEADER_VDP);
  requireNoExtraLabels(message.unprotected, [HEADER_VDP, HEADER_LEAF], what);
  if (vdp instanceof Map) requireNoExtraLabels(vdp, [VDP_INCLUSION], what);
  const proofs = vdp instanceof Map ? vdp.get(VDP_INCLUSION) : undefined;
  if (!(vdp instanceof Map)) fail("bad-receipt", { why: "no proofs" });
  if (!Array.isArray(proofs) || proofs.length !== 1 || !(proofs[0] instanceof Uint8Array)) {
    fail("bad-receipt", { why: "one inclusion proof expected" });
  }
  const proof = decodeCbor(proofs[0], "inclusion proof");
  if (!Array.isArray(proof) || proof.length !== 3) fail("bad-receipt", { why: "inclusion proof" });
  const [size, index, path] = proof;
  if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0) {
    fail("bad-receipt", { why: "size or index" });
  }
  if (!Array.isArray(path) || !path.every((h) => h instanceof Uint8Array))
    fail("bad-receipt", { why: "path" });
  const signedSize = message.header.get(HEADER_TREE_SIZE);
  if (signedSize !== size) fail("size-mismatch", { proof: size, signed: String(signedSize) });
  // (4)
  const leafBytes = message.unprotected.get(HEADER_LEAF);
  if (!(leafBytes instanceof Uint8Array)) fail("bad-receipt", { why: "no leaf" });
  const leaf = parseLeaf(leafBytes);
  if (leaf.index !== index)
    fail("bad-receipt", { why: "leaf index is not the proof's" }, "wrong-leaf");
  // (5)
  const hash = await leafHash(leafBytes);
  const root = await rootFromInclusionProof(index, size, hash, path);
  // (6)
  if (!(await verifySign1(message, key.publicKey, root)))
    fail("bad-receipt-signature", { root: hex(root).slice(0, 16) });
  requireValidFor(key, size);
  // (7)
  if (claims.origin !== trust.origin) fail("wrong-origin", { origin: claims.origin });
  return {
    size,
    index,
    root,
    leafBytes,
    leaf,
    leafHash: hash,
    origin: claims.origin,
    issuedAt: claims.issuedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// C2SP signed notes and checkpoints

/** C2SP signed-note key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export async function noteKeyId(name, type, publicKey) {
  const prefix = new TextEncoder().encode(`${name}\n`);
  return (await sha256(concat(prefix, Uint8Array.of(type), publicKey))).slice(0, 4);
}

// What Python's str.isspace() calls space (registry/verify/note.py and qr.py use it): JavaScript's
// \s differs in \x1c-\x1f, \x85 and \ufeff, and the two verifiers must read the same names.
const SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const NOT_A_KEY_NAME = new RegExp(`[+${SPACE}\\x00-\\x1f]`);
const NOTE_CONTROL = /[\x00-\x09\x0b-\x1f]/;
const SIGNATURE_PREFIX = "\u2014 ";
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const MAX_TREE_SIZE = 2n ** 64n - 1n;

function badNote(why, reason = MALFORMED) {
  fail("bad-checkpoint", { why }, reason);
}

/**
 * Parse a C2SP signed note as strictly as registry/verify/note.py: a non-empty text of at most
 * 128 KiB, no control character but newline, ending in a newline; a blank line; 1 to 100
 * signature lines "— <key name> <base64(key id ‖ signature)>" in canonical base64, no key twice.
 * Returns {text, signatures: [{name, keyId, signature}]}.
 */
export function parseNote(note) {
  if (typeof note !== "string") badNote("not text", "wrong-type");
  if (note === "") badNote("empty", "empty");
  if (new TextEncoder().encode(note).length > LIMITS.note) badNote("size", "oversized");
  if (NOTE_CONTROL.test(note)) badNote("control character");
  if (!note.endsWith("\n")) badNote("no final newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) badNote("no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === "") badNote("no signature lines");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > LIMITS.signatures) badNote("too many signatures", "oversized");
  const signatures = [];
  const seen = new Set();
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) badNote("signature line");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? "" : rest.slice(0, space);
    if (space < 0 || name === "" || NOT_A_KEY_NAME.test(name)) badNote("key name");
    const blob = b64Decode64(rest.slice(space + 1), "signature");
    if (blob.length <= 4) badNote("signature shorter than a key id", "truncated");
    const keyId = blob.slice(0, 4);
    const signer = `${name}+${hex(keyId)}`;
    if (seen.has(signer)) badNote("the same key signed twice");
    seen.add(signer);
    signatures.push({ name, keyId, signature: blob.slice(4) });
  }
  return { text, signatures };
}

const MAX_TIMESTAMP = 2n ** 63n - 1n;
const COSIGNATURE_SIZE = 4 + 8 + ED25519_SIGNATURE_SIZE;

/**
 * Verify one C2SP tlog-cosignature/v1 signature (timestamp(8) ‖ Ed25519(64), after the key id)
 * by `publicKey` over the note text `text`: the signed message is "cosignature/v1\ntime <t>\n"
 * followed by the text. Returns the timestamp (a BigInt), or null when it does not hold.
 */
async function verifyCosignature(publicKey, text, signature) {
  if (signature.length !== 8 + ED25519_SIGNATURE_SIZE) return null;
  const timestamp = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  if (timestamp > MAX_TIMESTAMP) return null;
  const message = new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
  const ok = await ed25519Verify(publicKey, signature.slice(8), message);
  return ok ? timestamp : null;
}

/**
 * Verify a checkpoint (a C2SP signed note) with the trusted log key and parse its body, as
 * registry/verify/checkpoint.py does: returns {origin, size, root, unknownSignatures,
 * witnesses}. Signatures by keys we do not know (witnesses the trust list does not name) are set
 * aside, as the spec says; a bad signature by a known key (the log's or a listed witness's)
 * fails. At least `required` listed witnesses (default: the trust list's witnesses_required)
 * must have cosigned, else it throws "not-witnessed" (not yet witnessed: not invalid), the
 * verified checkpoint in the error's `value`. `size` is a number, or a BigInt beyond 2^53.
 */
export async function verifyCheckpoint(note, trust, required = trust.witnessesRequired ?? 0) {
  const { text, signatures } = parseNote(note);
  const message = new TextEncoder().encode(text);
  let verified = 0;
  let unknown = 0;
  const signers = [];
  const witnesses = new Set();
  for (const sig of signatures) {
    const key = trust.logKeys.find(
      (k) => k.noteName === sig.name && equalBytes(k.noteKeyId, sig.keyId),
    );
    const witness = (trust.witnessKeys ?? []).find(
      (w) => w.name === sig.name && equalBytes(w.keyId, sig.keyId),
    );
    if (witness && !key) {
      if ((await verifyCosignature(witness.publicKey, text, sig.signature)) === null)
        fail("bad-cosignature", { witness: witness.name });
      witnesses.add(witness.verifierKey);
      continue;
    }
    if (!key) {
      unknown += 1;
      continue;
    }
    if (
      sig.signature.length !== ED25519_SIGNATURE_SIZE ||
      !(await ed25519Verify(key.publicKey, sig.signature, message))
    )
      fail("bad-checkpoint-signature");
    verified += 1;
    signers.push(key);
  }
  if (verified === 0) fail("checkpoint-unsigned");
  const body = text.slice(0, -1).split("\n");
  if (body.length < 3) badNote("body", "truncated");
  if (body.some((line) => line === "")) badNote("empty line");
  const [origin, sizeText, rootText] = body;
  if (!DECIMAL.test(sizeText) || BigInt(sizeText) > MAX_TREE_SIZE) badNote("size");
  const root = b64Decode64(rootText, "root");
  if (root.length !== HASH_SIZE) badNote("root");
  // A log key's signature counts only for the tree sizes announced for it.
  const valid = signers.filter((key) => {
    try {
      requireValidFor(key, sizeText);
      return true;
    } catch {
      return false;
    }
  });
  if (valid.length === 0) requireValidFor(signers[0], sizeText);
  if (origin !== trust.origin) fail("wrong-origin", { origin });
  const size = Number.isSafeInteger(Number(sizeText)) ? Number(sizeText) : BigInt(sizeText);
  const checkpoint = { origin, size, root, unknownSignatures: unknown, witnesses: [...witnesses] };
  if (witnesses.size < required) {
    const error = new VerifyError("not-witnessed", { count: witnesses.size, required });
    error.value = checkpoint;
    throw error;
  }
  return checkpoint;
}

// ---------------------------------------------------------------------------------------------
// The link QR: {base}/v/{index}#{base64url(first 16 bytes of the leaf hash)}

const LINK = new RegExp(`^(https?://[^#?${SPACE}]+?)/v/(0|[1-9][0-9]{0,18})#([A-Za-z0-9_-]{22})$`);

/**
 * Parse a link QR's text strictly, as registry/verify/qr.py's parse_link: an http(s) base, a
 * decimal index without leading zeros, and the 16-byte fragment in canonical base64url.
 * Returns {base, index (decimal text), fragment (bytes)}.
 */
export function parseLink(text) {
  if (typeof text !== "string" || text === "" || text.length > LIMITS.link) fail("bad-link");
  const match = LINK.exec(text);
  if (!match) fail("bad-link");
  const fragment = b64urlDecode(match[3], "fragment");
  if (fragment.length !== 16) fail("bad-fragment");
  return { base: match[1], index: match[2], fragment };
}

/**
 * Check that the leaf a server answered for `link` is entry `link.index` and that its hash starts
 * with the link's fragment (registry/verify/qr.py's check_link_leaf). Returns the parsed leaf.
 */
export async function checkLinkLeaf(link, leafBytes) {
  const leaf = parseLeaf(leafBytes);
  const hash = await leafHash(leafBytes);
  if (String(leaf.index) !== link.index || !equalBytes(hash.slice(0, 16), link.fragment)) {
    fail("fragment-mismatch", {
      got: b64urlEncode(hash.slice(0, 16)),
      want: b64urlEncode(link.fragment),
    });
  }
  return leaf;
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
      ...validitySizes(entry),
    });
  }
  if (logKeys.length === 0) fail("bad-trust-list");
  const adminKeys = [];
  for (const entry of doc.admin_keys ?? []) {
    const publicKey = b64urlDecode(entry?.public_key ?? "", "admin key");
    if (publicKey.length !== ED25519_KEY_SIZE) fail("bad-trust-list");
    adminKeys.push({ publicKey, kid: await sha256(publicKey) });
  }
  const { witnessKeys, witnessesRequired } = await parseWitnessPolicy(
    doc.witnesses ?? [],
    doc.witnesses_required ?? 0,
  );
  return { origin: doc.origin, logKeys, adminKeys, witnessKeys, witnessesRequired };
}

/**
 * A trust-list key's announced validity {fromSize, untilSize} (tree sizes; null where open), as
 * registry/verify/trust.py reads valid_from_size / valid_until_size: whole numbers in order.
 */
function validitySizes(entry) {
  const read = (value) => {
    if (value === undefined || value === null) return null;
    if (!Number.isSafeInteger(value) || value < 0) fail("bad-trust-list");
    return value;
  };
  const fromSize = read(entry.valid_from_size);
  const untilSize = read(entry.valid_until_size);
  if (fromSize !== null && untilSize !== null && untilSize < fromSize) fail("bad-trust-list");
  return { fromSize, untilSize };
}

/**
 * The trust list's witnesses ({name, verifier_key, url}, each key a C2SP cosignature key, type
 * 0x04, named `name`) and how many must cosign: a whole number from 0 to their count. Anything
 * else is a damaged trust list, as registry/verify/trust.py's add_witness_policy refuses it.
 */
async function parseWitnessPolicy(witnesses, required) {
  if (!Array.isArray(witnesses)) fail("bad-trust-list");
  const witnessKeys = [];
  for (const entry of witnesses) {
    const parts = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(String(entry?.verifier_key ?? ""));
    if (!parts) fail("bad-trust-list");
    const [, name, keyIdHex, blob64] = parts;
    const blob = b64Decode64(blob64, "verifier key");
    if (blob.length !== 33 || blob[0] !== 0x04) fail("bad-trust-list");
    const publicKey = blob.slice(1);
    const keyId = await noteKeyId(name, 0x04, publicKey);
    if (hex(keyId) !== keyIdHex || (entry.name !== undefined && entry.name !== name))
      fail("bad-trust-list");
    if (witnessKeys.some((w) => w.verifierKey === entry.verifier_key)) fail("bad-trust-list");
    witnessKeys.push({ name, keyId, publicKey, verifierKey: entry.verifier_key, url: entry.url });
  }
  if (!Number.isInteger(required) || required < 0 || required > witnessKeys.length)
    fail("bad-trust-list");
  return { witnessKeys, witnessesRequired: required };
}

// ---------------------------------------------------------------------------------------------
// Running checks

function failure(error) {
  if (error instanceof VerifyError)
    return { code: error.code, params: error.params, reason: error.reason };
  return {
    code: "internal",
    params: { why: String(error && error.message ? error.message : error) },
    reason: "internal",
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
    const { code, params, reason } = failure(error);
    const check = { id, status: "fail", code, params, reason };
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

/**
 * The overall verdict from the checks: "invalid", "revoked", "unwitnessed" (everything holds but
 * fewer witnesses cosigned than the trust list requires: not yet witnessed, not invalid) or
 * "valid".
 */
export function verdictOf(checks, core) {
  if (checks.some((c) => core.includes(c.id) && c.status === "fail")) return "invalid";
  if (checks.some((c) => c.id === "revocation" && c.revoked)) return "revoked";
  if (checks.some((c) => c.unwitnessed)) return "unwitnessed";
  return "valid";
}

const ONLINE_CORE = ["signature", "statement", "fragment", "receipt", "checkpoint", "witnesses"];

// A check that holds but for the witness quorum: a warning, and the verdict "unwitnessed".
function unwitnessed(code, params) {
  return { status: "warn", unwitnessed: true, code, params };
}

// The receipt's tree is a prefix of `checkpoint`'s: equal roots at one size, else the RFC 9162
// consistency proof fetched from the server (its own old_root/new_root fields are ignored).
async function checkPrefix(receipt, checkpoint, { fetcher, base }) {
  const params = { old: receipt.size, size: checkpoint.size };
  if (receipt.size > checkpoint.size) fail("checkpoint-older", params);
  if (receipt.size === checkpoint.size) {
    if (!equalBytes(receipt.root, checkpoint.root)) fail("fork", params);
    return "same";
  }
  const url = `${base}/proofs/consistency?old=${receipt.size}&new=${checkpoint.size}`;
  const proof = await get(fetcher, url, "json", "application/json");
  const path = (proof.path ?? []).map((h) => b64urlDecode(h, "consistency proof"));
  if (
    !(await verifyConsistency(receipt.size, checkpoint.size, receipt.root, checkpoint.root, path))
  ) {
    fail("inconsistent", params);
  }
  return "extended";
}

/**
 * Verify entry `index` online, from raw bytes fetched from `base` (default: this origin):
 *   (1) signature   the signer's Ed25519 signature over the statement, kid = SHA-256(key);
 *   (2) statement   the leaf's statement_sha256 is SHA-256 of the statement bytes;
 *   (3) fragment    the leaf hash starts with the link's fragment (16 bytes, base64url);
 *   (4) receipt     root from the leaf hash and inclusion proof, signed by a pinned log key,
 *                   over the signed tree size;
 *   (5) checkpoint  the latest checkpoint is signed by the pinned log key and the receipt's
 *                   tree is consistent with it (RFC 9162 consistency proof, or equal roots);
 *   (6) witnesses   with a witness policy in the trust list: /checkpoint/witnessed carries
 *                   cosignatures by `witnesses_required` of the pinned witnesses and the
 *                   receipt's tree is a prefix of it; none yet, or an older one, is
 *                   "not yet witnessed" (a warning and the verdict "unwitnessed");
 *   (7) revocation  the server's status; a revocation it names is fetched and checked.
 * Returns {verdict, checks, record}.
 */
export async function verifyRecord({ index, fragment, trust, fetcher, base = "" }) {
  fetcher ??= globalThis.fetch.bind(globalThis);
  const checks = [];
  const entry = `${base}/entries/${index}`;
  const policy = (trust.witnessesRequired ?? 0) > 0;
  const [statementR, receiptR, viewR, noteR, witnessedR] = await Promise.all([
    settle(get(fetcher, `${entry}/statement`, "bytes", "application/cose")),
    settle(get(fetcher, entry, "bytes", "application/cose")),
    settle(get(fetcher, entry, "json", "application/json")),
    settle(get(fetcher, `${base}/checkpoint`, "text", "text/plain")),
    policy
      ? settle(get(fetcher, `${base}/checkpoint/witnessed`, "text", "text/plain"))
      : Promise.resolve(null),
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

  // (5) the checkpoint, and the receipt's tree consistent with it (the latest checkpoint need
  // not carry the quorum yet: that is check 6)
  await run(checks, "checkpoint", async () => {
    const checkpoint = await verifyCheckpoint(unwrap(noteR), trust, 0);
    record.checkpoint = checkpoint;
    if (receipt === null) fail("no-receipt");
    const params = { old: receipt.size, size: checkpoint.size };
    const how = await checkPrefix(receipt, checkpoint, { fetcher, base });
    return { code: how === "same" ? "checkpoint-same" : "checkpoint-ok", params };
  });

  // (6) the witnesses: a checkpoint with the quorum that contains the receipt's tree
  await run(checks, "witnesses", async () => {
    if (!policy) return { status: "info", code: "witnesses-none" };
    const required = trust.witnessesRequired;
    const total = trust.witnessKeys.length;
    if (witnessedR.error) {
      if (witnessedR.error.code === "fetch-failed" && witnessedR.error.params.status === "404")
        return unwitnessed("not-witnessed", { count: 0, required, total });
      throw witnessedR.error;
    }
    let witnessed;
    try {
      witnessed = await verifyCheckpoint(witnessedR.value, trust);
    } catch (error) {
      if (!(error instanceof VerifyError) || error.code !== "not-witnessed") throw error;
      return unwitnessed("not-witnessed", { ...error.params, total });
    }
    record.witnessed = witnessed;
    if (receipt === null) fail("no-receipt");
    const count = witnessed.witnesses.length;
    if (receipt.size > witnessed.size)
      return unwitnessed("not-yet-witnessed", { size: witnessed.size, old: receipt.size });
    await checkPrefix(receipt, witnessed, { fetcher, base });
    return { code: "witnessed-ok", params: { count, required, total, size: witnessed.size } };
  });

  // (7) revocation
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

// The reason of a DecompressionStream error, from its message (engines word them differently:
// Chromium "Compressed input was truncated." / "Junk found after end of compressed data.",
// Node.js "unexpected end of file"); anything else is malformed.
function zlibReason(error) {
  const message = String(error && error.message ? error.message : error);
  if (/truncat|unexpected end/i.test(message)) return "truncated";
  if (/junk|after (the )?end/i.test(message)) return "trailing-data";
  return MALFORMED;
}

// One zlib stream's output through DecompressionStream, refusing output over `limit` bytes.
async function inflateStream(bytes, limit) {
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
        fail("bad-offline", { why: "too large" }, "oversized");
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    fail("bad-offline", { why: "zlib" }, zlibReason(error));
  }
  return concat(...chunks);
}

async function inflates(bytes, limit) {
  try {
    return await inflateStream(bytes, limit);
  } catch (error) {
    if (error instanceof VerifyError && error.code !== "no-decompression") return null;
    throw error;
  }
}

/**
 * Inflate exactly one zlib stream, as registry/verify/qr.py's zlib_decompress: output at most
 * `limit` bytes, nothing after the stream, and the deflate stream's padding bits (after its last
 * block, before the Adler-32) zero: decoders ignore them, so otherwise one text character could
 * change and the payload still verify.
 */
export async function inflate(bytes, limit = LIMITS.inflated) {
  const out = await inflateStream(bytes, limit);
  // Some engines (Node.js) ignore bytes after the stream: these bytes are one stream only if
  // they are needed to the last, so without their last byte they must not inflate.
  if (bytes.length > 1 && (await inflates(bytes.subarray(0, -1), limit)) !== null)
    fail("bad-offline", { why: "bytes after the zlib stream" }, "trailing-data");
  const last = bytes.length - 5; // the deflate stream's last byte, before the 4-byte Adler-32
  for (let bit = 7; bit >= 0; bit--) {
    if (last < 2 || !((bytes[last] >> bit) & 1)) continue;
    const cleared = bytes.slice();
    cleared[last] &= ~(1 << bit);
    const again = await inflates(cleared, limit);
    if (again === null || !equalBytes(again, out)) break; // a bit the stream needs, as all below
    fail("bad-offline", { why: "padding bits set" }, NOT_DETERMINISTIC);
  }
  return out;
}

/** Whether text is an offline QR payload (by its prefix). */
export function isOfflinePayload(text) {
  return typeof text === "string" && text.startsWith(OFFLINE_PREFIX);
}

/**
 * Decode an offline QR payload into {statement, publicKey, leafBytes, receipt?, entryTimestamp?,
 * witnessed?}: the prefix, strict base45, one zlib stream and a CBOR map of 1, 2, 3 and either 4
 * or 5, all byte strings, and maybe 6, the witnessed checkpoint (registry/verify/qr.py's
 * decode_offline, steps 1-4).
 */
export async function decodeOffline(text) {
  if (typeof text !== "string") fail("bad-offline", { why: "not text" }, "wrong-type");
  if (text === "") fail("bad-offline", { why: "empty" }, "empty");
  if (text.length > LIMITS.offlineText) fail("bad-offline", { why: "too long" }, "oversized");
  if (!isOfflinePayload(text)) fail("bad-offline", { why: "prefix" });
  const compressed = base45Decode(text.slice(OFFLINE_PREFIX.length));
  if (compressed.length === 0) fail("bad-offline", { why: "empty" }, "empty");
  const map = decodeCbor(await inflate(compressed), "offline payload", LIMITS.inflated);
  if (!(map instanceof Map)) fail("bad-offline", { why: "not a map" });
  const keys = [...map.keys()];
  const shape = (wanted) => wanted.length === keys.length && wanted.every((k) => map.has(k));
  const shapes = [
    [1, 2, 3, 4],
    [1, 2, 3, 5],
    [1, 2, 3, 4, 6],
    [1, 2, 3, 5, 6],
  ];
  if (
    !shapes.some(shape) ||
    !keys.every((k) => k === 6 || map.get(k) instanceof Uint8Array)
  ) {
    fail("bad-offline", { why: "keys 1, 2, 3 and either 4 or 5, all byte strings, maybe 6" });
  }
  return {
    statement: map.get(1),
    publicKey: map.get(2),
    leafBytes: map.get(3),
    receipt: map.get(4),
    entryTimestamp: map.get(5),
    witnessed: map.get(6),
  };
}

/**
 * Verify the registry's signed entry timestamp (COSE_Sign1 over the leaf bytes, detached), as
 * registry/verify/qr.py does: no payload and no vds, an empty unprotected header, the claims
 * {1: origin, 6: iat}, a log key's signature, and the trusted origin.
 */
async function verifyEntryTimestamp(bytes, leafBytes, trust) {
  const what = "entry timestamp";
  const message = parseSign1(bytes, what);
  if (message.payload !== null || message.header.has(HEADER_VDS))
    fail("bad-receipt", { why: "payload not detached" });
  if (message.unprotected.size !== 0)
    fail("non-canonical", { what, why: "unprotected header not empty" });
  const claims = signedClaims(message.header);
  if (!claims) fail("bad-receipt", { why: "claims" });
  const key = message.kid && logKeyByKid(trust, message.kid);
  if (!key) fail("unknown-log-key", { kid: hex(message.kid ?? new Uint8Array()).slice(0, 16) });
  if (!(await verifySign1(message, key.publicKey, leafBytes)))
    fail("bad-receipt-signature", { root: "-" });
  // A key may vouch for leaves logged before its validity ended (registry/verify/validity.py).
  const { index } = parseLeaf(leafBytes);
  if (key.untilSize !== null && BigInt(index) >= BigInt(key.untilSize))
    fail("key-outside-validity", { size: String(index), sizes: validityText(key) });
  if (claims.origin !== trust.origin) fail("wrong-origin", { origin: claims.origin });
}

const OFFLINE_CORE = ["payload", "signature", "statement", "receipt", "witnesses"];

const MAX_COSIGNATURES = 16;

/**
 * Verify the offline QR's witnessed checkpoint [size, root, [cosignature, ...]] of the trusted
 * log (registry/verify/witnessed.py): the shape (a size of 1 to 2^64 - 1, a 32-byte root, 1 to 16
 * cosignatures of 76 bytes, no key id twice), then each cosignature whose key id is a pinned
 * witness's must hold over "<origin>\n<size>\n<base64 root>\n" (others are set aside).
 * Returns {size, root, witnesses: [verifier keys], unknown}.
 */
export async function verifyWitnessed(item, trust) {
  if (!Array.isArray(item) || item.length !== 3) fail("bad-witnessed", { why: "shape" });
  const [size, root, cosignatures] = item;
  const sizeOk =
    (Number.isSafeInteger(size) && size >= 1) ||
    (typeof size === "bigint" && size >= 1n && size <= MAX_TREE_SIZE);
  if (
    !sizeOk ||
    !(root instanceof Uint8Array) ||
    root.length !== HASH_SIZE ||
    !Array.isArray(cosignatures) ||
    cosignatures.length < 1 ||
    cosignatures.length > MAX_COSIGNATURES ||
    !cosignatures.every((c) => c instanceof Uint8Array && c.length === COSIGNATURE_SIZE)
  ) {
    fail("bad-witnessed", { why: "shape" });
  }
  const ids = cosignatures.map((c) => hex(c.slice(0, 4)));
  if (new Set(ids).size !== ids.length) fail("bad-witnessed", { why: "a key id twice" });
  const text = `${trust.origin}\n${size}\n${b64Encode64(root)}\n`;
  const witnesses = new Set();
  let unknown = 0;
  for (const cosignature of cosignatures) {
    const keyId = cosignature.slice(0, 4);
    const candidates = (trust.witnessKeys ?? []).filter((w) => equalBytes(w.keyId, keyId));
    if (candidates.length === 0) {
      unknown += 1;
      continue;
    }
    let holds = null;
    for (const witness of candidates) {
      if ((await verifyCosignature(witness.publicKey, text, cosignature.slice(4))) !== null) {
        holds = witness;
        break;
      }
    }
    if (holds === null) fail("bad-cosignature", { witness: candidates[0].name });
    witnesses.add(holds.verifierKey);
  }
  return { size, root, witnesses: [...witnesses], unknown };
}

/**
 * Verify an offline QR payload with nothing but the pinned trust list:
 *   (0) payload     the prefix, base45, zlib and CBOR map decode strictly;
 *   (1) signature   the statement's signature by key 2, kid = SHA-256(key 2);
 *   (2) statement   the leaf (key 3) logs SHA-256 of the statement;
 *   (4) receipt     the receipt (key 4) proves that leaf under a pinned log key, or the
 *                   registry's entry timestamp (key 5) signs it;
 *   (5) witnesses   the witnessed checkpoint (key 6) covers the entry (with a receipt: is the
 *                   receipt's tree) and its pinned witnesses' cosignatures hold; fewer than
 *                   the trust list requires is "not witnessed offline" (verdict "unwitnessed");
 *   (6) checkpoint  cannot be compared offline (skip); (7) revocation cannot be known offline.
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
  let receipt = null;
  const proven = await run(checks, "receipt", async () => {
    if (offline.receipt) {
      receipt = await verifyReceipt(offline.receipt, trust);
      if (!equalBytes(receipt.leafBytes, offline.leafBytes)) fail("leaf-disagrees");
      return {
        code: "receipt-ok",
        params: { size: receipt.size, root: hex(receipt.root).slice(0, 16) },
      };
    }
    await verifyEntryTimestamp(offline.entryTimestamp, offline.leafBytes, trust);
    return { code: "entry-timestamp-ok" };
  });
  if (proven.status === "pass") {
    await run(checks, "witnesses", async () => {
      const required = trust.witnessesRequired ?? 0;
      const total = (trust.witnessKeys ?? []).length;
      let count = 0;
      if (offline.witnessed !== undefined) {
        const seen = await verifyWitnessed(offline.witnessed, trust);
        const index = parseLeaf(offline.leafBytes).index;
        if (!(BigInt(seen.size) > BigInt(index)))
          fail("witnessed-not-covering", { size: String(seen.size), index });
        if (receipt !== null && BigInt(seen.size) !== BigInt(receipt.size))
          fail("witnessed-not-receipt", { size: String(seen.size), old: receipt.size });
        if (receipt !== null && !equalBytes(seen.root, receipt.root))
          fail("witnessed-other-root", { size: String(seen.size) });
        record.witnessed = seen;
        count = seen.witnesses.length;
      }
      const params = { count, required, total };
      if (count < required) return unwitnessed("not-witnessed-offline", params);
      if (required === 0 && count === 0) return { status: "info", code: "witnesses-none" };
      return {
        code: receipt !== null ? "witnessed-offline-receipt" : "witnessed-offline",
        params: { ...params, size: String(record.witnessed.size) },
      };
    });
  }
  checks.push({ id: "checkpoint", status: "skip", code: "checkpoint-offline", params: {} });
  checks.push({ id: "revocation", status: "info", code: "revocation-offline", params: {} });
  return { verdict: verdictOf(checks, OFFLINE_CORE), checks, record };
}

/** The statement types whose signed payload may name their signer. */
export const SIGNED_BY_TYPES = Object.freeze(["pact", "declaration", "follow-up"]);

/**
 * Who a verified record's signed payload names as its signer: {type, name, jabatan, instansi},
 * or null (a type that names none, an entry logged before signers were named, a malformed one).
 * The registry checked the name against the key's enrolment before logging the entry, and its
 * receipt covers it; call this on a verified record only (registry/verify/signed_by.py is the same).
 */
export function signedBy(record) {
  const statement = record?.statement;
  if (!statement || !(statement.payload instanceof Map)) return null;
  const type = statement.payload.get("type");
  if (!SIGNED_BY_TYPES.includes(type) || statement.subject !== type) return null;
  const signer = statement.payload.get("signer");
  if (!(signer instanceof Map)) return null;
  const [name, jabatan, instansi] = ["name", "jabatan", "instansi"].map((k) => signer.get(k));
  if (![name, jabatan, instansi].every((v) => typeof v === "string" && v !== "")) return null;
  return { type, name, jabatan, instansi };
}
