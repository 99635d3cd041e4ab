// record.js: the /v/{index} page. Verifies the record in this browser (verify.js) against the
// trust list embedded in the page, and shows the verdict and every check.

import { VerifyError, parseTrustList, verifyRecord } from "./verify.js";
import { keepFragmentOnLanguageSwitch, pageData, renderResult } from "./page.js";

const data = pageData();
keepFragmentOnLanguageSwitch();

async function main() {
  // The fragment never reaches the server: it is the first 16 bytes of the leaf hash, from the QR.
  const fragment = decodeURIComponent(location.hash.slice(1));
  let result;
  try {
    const trust = await parseTrustList(data.trust);
    // data.registry: where the record's bytes are fetched from ("" = this origin; a copy of these
    // pages served elsewhere names the registry's URL, which then needs CORS on its GETs).
    result = await verifyRecord({ index: data.index, fragment, trust, base: data.registry ?? "" });
  } catch (error) {
    // The trust list or the browser itself failed: no check could run.
    const code = error instanceof VerifyError ? error.code : "internal";
    const params = error instanceof VerifyError ? error.params : { why: String(error) };
    result = {
      verdict: "invalid",
      checks: [{ id: "signature", status: "fail", code, params }],
      record: {},
    };
  }
  window.verification = result; // for readers who want the details in the console
  renderResult(data, result);
}

main();
