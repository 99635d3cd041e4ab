// institution.js: what the institutions' pages share (recommending authority, BKN, operator).
// The page acts with the institution's own key, as the portal does: a key this browser keeps
// (keystore.js, WebCrypto, non-extractable) or one the registry holds in custody (kid and
// passphrase). First it proves which key it holds: an `access` statement signed by that key
// (POST /api/institutions/{page}/access), refused for a key of another role; the answer is a
// token (the statement, standing 15 minutes) that every read of the page carries. What the
// page signs goes to POST /entries (browser key) or POST /sign (custodial), where the
// registration policy checks the signer's role again.

import { pageData, problemText as pageProblemText, text } from "./page.js";
import { b64urlEncode, createKey, hashBytes, kidHex, loadKey, signStatement } from "./keystore.js";

export const data = pageData();
export const t = (key, params) => text(data.strings, key, params);
export const byId = (id) => document.getElementById(id);

const BINARY = ["ppk_kid", "subject_commitment", "decree_sha256", "kid", "public_key", "nip_commitment"];

let browserKey = null;
let access = null;

export const browserMode = () => byId("imode-browser").checked;

/** Show `message` in the status line `id`; kind "ok", "error" or "". */
export function say(id, message, kind = "") {
  const status = byId(id);
  status.textContent = message;
  status.className = kind;
}

/** The words of a problem (RFC 9457) answer, in this page's language. */
export const problemText = (response) => pageProblemText(response, data.strings);

/** A table cell holding `value` (a dash when there is none). */
export function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value ?? "\u2013";
  row.append(td);
  return td;
}

/** A button in `td` labelled `label` (and `context` for screen readers) doing `action`. */
export function button(td, label, context, action) {
  const made = document.createElement("button");
  made.type = "button";
  made.textContent = label;
  made.setAttribute("aria-label", `${label}: ${context}`);
  made.addEventListener("click", action);
  td.append(made);
  return made;
}

/** A new row of `body` whose first cell links entry `index`. */
export function entryRow(body, index) {
  const row = document.createElement("tr");
  const first = document.createElement("td");
  first.append(entryLink(index));
  row.append(first);
  body.append(row);
  return row;
}

/** The row saying "none" across `columns` when `items` is empty. */
export function noneRow(body, items, columns) {
  if (items.length) return;
  const row = document.createElement("tr");
  cell(row, t("inst.none")).colSpan = columns;
  body.append(row);
}

/** A link to an entry's record page, in the page's language. */
export function entryLink(index) {
  const link = document.createElement("a");
  link.href = `/v/${index}${data.lang === "id" ? "" : `?lang=${data.lang}`}`;
  link.textContent = `#${index}`;
  return link;
}

function showMode() {
  byId("icustodial-fields").hidden = browserMode();
  byId("ibrowser-fields").hidden = !browserMode();
}

async function showBrowserKey() {
  try {
    browserKey = await loadKey();
  } catch {
    browserKey = null;
  }
  const status = byId("ibrowser-status");
  const shown = byId("ibrowser-public");
  if (!browserKey) {
    status.textContent = t("inst.browser.none");
    shown.hidden = true;
    return;
  }
  status.textContent = t("inst.browser.kept", { kid: kidHex(browserKey).slice(0, 16) });
  byId("imake-key").hidden = true;
  shown.textContent = t("inst.browser.public", {
    key: b64urlEncode(browserKey.publicKey),
    kid: kidHex(browserKey),
  });
  shown.hidden = false;
}

async function makeKey() {
  try {
    browserKey = await createKey();
  } catch (error) {
    say("iaccess-status", error?.name === "NotSupportedError" ? t("portal.enrol.no-ed25519") : String(error), "error");
    return;
  }
  await showBrowserKey();
}

/** The custodial fields, checked; false (and the browser says why) when not filled in. */
function custodialReady() {
  for (const id of ["ikid", "ipassphrase"]) {
    if (!byId(id).checkValidity()) {
      byId(id).reportValidity();
      return false;
    }
  }
  return true;
}

async function openKey(onOpen) {
  const opening = byId("iopen");
  let response;
  if (browserMode()) {
    if (!browserKey) {
      say("iaccess-status", t("inst.browser.none"), "error");
      return;
    }
    const statement = await signStatement(browserKey, { type: "access", page: data.page, origin: data.origin });
    response = fetch(`/api/institutions/${data.page}/access`, {
      method: "POST",
      headers: { "Content-Type": "application/cose", "Accept-Language": data.lang },
      body: statement,
    });
  } else {
    if (!custodialReady()) return;
    response = fetch(`/api/institutions/${data.page}/access`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": data.lang },
      body: JSON.stringify({ kid: byId("ikid").value.trim().toLowerCase(), passphrase: byId("ipassphrase").value }),
    });
  }
  opening.disabled = true;
  say("iaccess-status", t("inst.opening"));
  try {
    const answer = await response;
    if (!answer.ok) {
      access = null;
      byId("institution-work").hidden = true;
      say("iaccess-status", t("inst.refused", { why: await problemText(answer) }), "error");
      return;
    }
    access = await answer.json();
    byId("ipassphrase").value = "";
    say("iaccess-status", t("inst.opened", access), "ok");
    byId("institution-work").hidden = false;
    await onOpen(access);
  } finally {
    opening.disabled = false;
  }
}

/** The page's lists (GET /api/institutions/{page}/data), or null after saying why not. */
export async function pageLists() {
  const answer = await fetch(`/api/institutions/${data.page}/data`, {
    headers: { Accept: "application/json", "Accept-Language": data.lang, "X-Registry-Access": access?.token ?? "" },
  });
  if (!answer.ok) {
    say("iaccess-status", t("inst.refused", { why: await problemText(answer) }), "error");
    return null;
  }
  return answer.json();
}

/** POST `body` (JSON) to `path` with the page's token; the response. */
export function decide(path, body = {}) {
  return fetch(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Accept-Language": data.lang,
      "X-Registry-Access": access?.token ?? "",
    },
    body: JSON.stringify(body),
  });
}

function showResult(index) {
  byId("iresult-detail").textContent = t("portal.done.detail", { index });
  byId("iresult-record").href = `/v/${index}${data.lang === "id" ? "" : `?lang=${data.lang}`}`;
  byId("institution-result").hidden = false;
}

/**
 * Sign `record` (built by `build`) with the page's key and register it; report to status line
 * `statusId` and show the entry. The entry's index, or null when refused.
 */
export async function signRecord(form, submit, build, statusId) {
  if (!form.reportValidity()) return null;
  if (!browserMode() && !custodialReady()) return null;
  submit.disabled = true;
  say(statusId, t("portal.signing"));
  try {
    const record = await build();
    let response;
    if (browserMode()) {
      const payload = { ...record };
      for (const name of BINARY) if (typeof payload[name] === "string") payload[name] = hashBytes(payload[name]);
      response = await fetch("/entries", {
        method: "POST",
        headers: { "Content-Type": "application/cose", "Accept-Language": data.lang },
        body: await signStatement(browserKey, payload),
      });
    } else {
      response = await fetch("/sign", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": data.lang },
        body: JSON.stringify({
          kid: byId("ikid").value.trim().toLowerCase(),
          passphrase: byId("ipassphrase").value,
          record,
        }),
      });
    }
    if (!response.ok) {
      say(statusId, await problemText(response), "error");
      return null;
    }
    byId("ipassphrase").value = "";
    const index = Number(response.headers.get("X-Registry-Entry-Index"));
    say(statusId, t("portal.done.detail", { index }), "ok");
    showResult(index);
    return index;
  } catch (error) {
    say(statusId, t("portal.error", { status: String(error) }), "error");
    return null;
  } finally {
    submit.disabled = false;
  }
}

/** Lower-case hex SHA-256 of a chosen file (it never leaves the device). */
export async function fileSha256(input) {
  const file = input.files[0];
  if (!file) return null;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Wire the key card; `onOpen(access)` runs once a key of the page's role has proved itself. */
export function startPage(onOpen) {
  byId("imode-browser").addEventListener("change", showMode);
  byId("imode-custodial").addEventListener("change", showMode);
  byId("imake-key").addEventListener("click", makeKey);
  byId("iopen").addEventListener("click", () => openKey(onOpen));
  showMode();
  showBrowserKey();
}
