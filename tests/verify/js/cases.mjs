// Run web/static/verify.js over the shared verification cases (tests/vectors/verify/).
//
// No imports: `v` is the verify.js module, loaded by the caller (Node.js: run_cases.mjs; Chromium:
// tests/browser/test_verify_js.py), so the same code runs in both. Each case goes through the
// function a verifier page calls for its kind; the outcome is "ok", or the reason of the refusal
// (VerifyError.reason, the code registry/verify gives the same refusal).

const KINDS = {
  statement: (v, c, b) => v.verifyStatement(b(c.input), b(c.trust.signer_public_key)),
  receipt: async (v, c, b) => v.verifyReceipt(b(c.input), await trustOf(v, c)),
  checkpoint: async (v, c) => v.verifyCheckpoint(c.input, await trustOf(v, c)),
  "offline-qr": async (v, c) => {
    const result = await v.verifyOffline(c.input, await trustOf(v, c));
    const failed = result.checks.find((check) => check.status === "fail");
    if (result.verdict === "invalid")
      throw new v.VerifyError(failed.code, failed.params, failed.reason);
    if (result.verdict === "unwitnessed") {
      const short = result.checks.find((check) => check.unwitnessed);
      throw new v.VerifyError(short.code, short.params);
    }
    return { signed_by: v.signedBy(result.record) };
  },
  "link-qr": (v, c, b) => v.checkLinkLeaf(v.parseLink(c.input.link), b(c.input.leaf)),
  inclusion: (v, c, b) => {
    const x = c.input;
    return v.verifyInclusion(x.index, x.size, b(x.leaf_hash), x.path.map(b), b(x.root));
  },
  consistency: (v, c, b) => {
    const x = c.input;
    return v.checkConsistency(x.size1, x.size2, b(x.root1), b(x.root2), x.path.map(b));
  },
};

function trustOf(v, c) {
  return v.parseTrustList(c.trust.configuration);
}

/**
 * The outcome of every case: {name: {outcome, code?, params?, signed_by?}}; a valid offline QR's
 * `signed_by` is whom its verified payload names as signer (null: none).
 */
export async function runCases(v, cases) {
  const b = (text) => v.b64urlDecode(text);
  const out = {};
  for (const c of cases) {
    try {
      const found = await KINDS[c.kind](v, c, b);
      out[c.name] = { outcome: "ok", ...(c.kind === "offline-qr" ? found : {}) };
    } catch (error) {
      out[c.name] =
        error instanceof v.VerifyError
          ? { outcome: error.reason, code: error.code, params: error.params }
          : { outcome: `error: ${error && error.stack ? error.stack : error}` };
    }
  }
  return out;
}
