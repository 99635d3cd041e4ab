// page.js: what the verify pages share to show a result: the page's data, strings, and rendering
// of the verdict, the checks and the signed content. Verification itself is in verify.js.

import { CborTag, hex, signedBy } from "./verify.js";

/** The data the server embedded in the page: {lang, strings, trust, index?}. */
export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

/** A string from the page's dictionary with {placeholders} filled in. */
export function text(strings, key, params = {}) {
  const template = strings[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The words of a problem (RFC 9457) answer: title, detail and each field's complaint
 * (`strings`: the page's dictionary, for the words when the answer is not a problem). */
export async function problemText(response, strings) {
  try {
    const problem = await response.json();
    const parts = [problem.title, problem.detail].filter(Boolean);
    for (const error of problem.errors ?? []) {
      parts.push(`${error.field ?? ""} ${error.message ?? error.detail ?? ""}`.trim());
    }
    return parts.join(" — ") || String(response.status);
  } catch {
    return text(strings, "portal.error", { status: response.status });
  }
}

/** Keep the fragment (the record's fingerprint) when the reader switches language. */
export function keepFragmentOnLanguageSwitch() {
  const link = document.getElementById("lang-switch");
  if (link && location.hash) link.href = link.getAttribute("href") + location.hash;
}

const JAKARTA = "Asia/Jakarta"; // WIB, where the registry's readers are

/** A time in milliseconds since the epoch, in WIB, in the page's language. */
export function formatTime(ms, lang) {
  const date = new Date(ms);
  try {
    const shown = date.toLocaleString(lang === "id" ? "id-ID" : "en-GB", {
      timeZone: JAKARTA,
      dateStyle: "long",
      timeStyle: "short",
    });
    return `${shown} WIB`;
  } catch {
    return date.toISOString();
  }
}

/**
 * Show the overall verdict. `kind` is "checking", "valid", "invalid", "revoked" or "unwitnessed"
 * (genuine and logged, but not yet cosigned by the witnesses the trust list requires).
 */
export function setVerdict(strings, kind, detailKey) {
  const box = document.getElementById("verdict");
  box.dataset.verdict = kind;
  document.getElementById("verdict-title").textContent = text(strings, `verdict.${kind}`);
  document.getElementById("verdict-detail").textContent = text(
    strings,
    detailKey ?? `verdict.${kind}.detail`,
  );
}

/** Fill the check list with each check's status and its reason in plain words. */
export function renderChecks(strings, checks) {
  const list = document.getElementById("checks");
  for (const check of checks) {
    let item = list.querySelector(`[data-check="${check.id}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.check = check.id;
      item.innerHTML = '<span class="badge"></span> <strong></strong><p class="why"></p>';
      list.append(item);
    }
    item.dataset.status = check.status;
    item.dataset.code = check.code;
    item.querySelector(".badge").textContent = text(strings, `status.${check.status}`);
    item.querySelector("strong").textContent = text(strings, `check.title.${check.id}`);
    item.querySelector(".why").textContent = text(strings, `check.${check.code}`, check.params);
  }
}

// One value of a signed payload, as readable text.
function show(strings, key, value) {
  if (value instanceof Uint8Array) return hex(value);
  if (value instanceof CborTag) return `tag ${value.tag}`;
  if (Array.isArray(value)) return value.map((v) => show(strings, key, v)).join("\n");
  if (value instanceof Map)
    return Array.from(value.values(), (v) => show(strings, key, v)).join(", ");
  if (key === "type") return text(strings, `type.${value}`);
  return String(value);
}

/** Show the verified statement's payload and the leaf's time under "What was signed". */
export function renderSigned(strings, lang, record) {
  if (!record.statement) return;
  const fields = document.getElementById("signed-fields");
  fields.replaceChildren();
  const add = (label, value, mono = false) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (mono) dd.className = "mono";
    fields.append(dt, dd);
  };
  if (record.index !== undefined) add(text(strings, "signed.index"), `#${record.index}`);
  // The record's type first, then its fields in the order they were signed.
  const payload = record.statement.payload;
  const keys = [...payload.keys()].sort((a, b) => (b === "type") - (a === "type"));
  for (const key of keys) {
    const value = payload.get(key);
    add(
      strings[`field.${key}`] ?? String(key),
      show(strings, key, value),
      value instanceof Uint8Array,
    );
  }
  if (typeof record.statement.issuer === "string")
    add(text(strings, "signed.issuer"), record.statement.issuer);
  if (Number.isSafeInteger(record.statement.issuedAt)) {
    add(text(strings, "signed.issued_at"), formatTime(record.statement.issuedAt * 1000, lang));
  }
  if (record.leaf)
    add(text(strings, "signed.registered_at"), formatTime(record.leaf.registeredAt, lang));
  document.getElementById("signed").hidden = false;
}

/**
 * Under the verdict, who signed the record as its signed payload names them ("Pakta integritas
 * ditandatangani oleh <name>, <jabatan>, <instansi>"): only when the record verified (the
 * registry's proof covers these words), never for an invalid one; nothing when it names none.
 */
export function renderSignedBy(strings, result) {
  const box = document.getElementById("verdict");
  let line = document.getElementById("verdict-signer");
  const named = result.verdict === "invalid" ? null : signedBy(result.record);
  if (!named) {
    line?.remove();
    return;
  }
  if (!line) {
    line = document.createElement("p");
    line.id = "verdict-signer";
    line.className = "verdict-signer";
    document.getElementById("verdict-title").after(line);
  }
  line.textContent = text(strings, `verdict.signed-by.${named.type}`, named);
  box.dataset.signer = named.name;
}

/** Show a whole result: verdict, checks and signed content; mark the page done for tests. */
export function renderResult(data, result, { offline = false } = {}) {
  const { strings, lang } = data;
  renderChecks(strings, result.checks);
  renderSigned(strings, lang, result.record);
  let detail;
  if (result.verdict === "valid") {
    const fragment = result.checks.find((c) => c.id === "fragment");
    if (offline) detail = "verdict.offline.valid.detail";
    else if (fragment && fragment.status === "warn") detail = "verdict.valid.nofragment";
  }
  if (result.verdict === "unwitnessed" && offline) detail = "verdict.offline.unwitnessed.detail";
  setVerdict(strings, result.verdict, detail);
  renderSignedBy(strings, result);
  document.body.dataset.verified = result.verdict;
}
