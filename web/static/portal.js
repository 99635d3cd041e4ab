// portal.js: the /portal page. The signer chooses the election and a template published in the
// log, reads its text, and signs with the key the registry holds for them (POST /sign, with their
// passphrase), or with a key this browser made and keeps (keystore.js), once the operator has
// approved its enrolment request. The template hash the record cites is computed here, from the very text shown, so
// the record signed cites exactly the text the signer read. The answer links the record page, its
// QR and its certificate.

import { pageData, text } from "./page.js";
import { createKey, hashBytes, kidHex, loadKey, signStatement } from "./keystore.js";

const data = pageData();
const t = (key, params) => text(data.strings, key, params);
const form = document.getElementById("portal-form");
const byId = (id) => document.getElementById(id);

/** Lower-case hex of SHA-256 over the UTF-8 bytes of `value`. */
export async function sha256Hex(value) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function chosenTemplate() {
  const index = Number(byId("template").value);
  return data.templates.find((template) => template.index === index);
}

/** The record to sign, as JSON: its template hash from the text shown on the page. */
async function buildRecord() {
  const template = chosenTemplate();
  const shown = byId("template-text").textContent;
  const record = {
    type: template.kind,
    template: await sha256Hex(shown),
    election: byId("election").value,
    instansi: byId("instansi").value.trim(),
    date: byId("date").value,
  };
  if (template.kind === "pact") record.place = byId("place").value.trim();
  return record;
}

async function showTemplate() {
  const template = chosenTemplate();
  byId("text-title").textContent = template.title;
  byId("template-text").textContent = template.text;
  byId("place-field").hidden = template.kind !== "pact";
  byId("place").required = template.kind === "pact";
  await showRecord();
}

async function showRecord() {
  byId("record-preview").textContent = JSON.stringify(await buildRecord(), null, 2);
}

function say(message, kind = "") {
  const status = byId("portal-status");
  status.textContent = message;
  status.className = kind;
}

/** The words of a problem (RFC 9457) answer: title, detail and each field's complaint. */
async function problemText(response) {
  try {
    const problem = await response.json();
    const parts = [problem.title, problem.detail].filter(Boolean);
    for (const error of problem.errors ?? []) {
      parts.push(`${error.field ?? ""} ${error.message ?? error.detail ?? ""}`.trim());
    }
    return parts.join(" — ") || String(response.status);
  } catch {
    return t("portal.error", { status: response.status });
  }
}

function showResult(index) {
  const suffix = data.lang === "id" ? "" : `?lang=${data.lang}`;
  byId("result-detail").textContent = t("portal.done.detail", { index });
  byId("result-record").href = `/v/${index}${suffix}`;
  byId("result-certificate").href = `/entries/${index}/certificate.pdf`;
  byId("result-qr").src = `/entries/${index}/qr.png`;
  const result = byId("portal-result");
  result.hidden = false;
  result.focus?.();
  byId("result-title").scrollIntoView?.();
}

let browserKey = null;

const browserMode = () => byId("mode-browser")?.checked;

function showMode() {
  const custodial = !browserMode();
  byId("custodial-fields").hidden = !custodial;
  byId("kid").required = custodial;
  byId("passphrase").required = custodial;
}

/** Sign the record here with the browser's key and register it (POST /entries). */
async function signHere(record) {
  const payload = { ...record, template: hashBytes(record.template) };
  const statement = await signStatement(browserKey, payload);
  return fetch("/entries", {
    method: "POST",
    headers: { "Content-Type": "application/cose", "Accept-Language": data.lang },
    body: statement,
  });
}

/** Send the record to be signed with the custodial key (POST /sign). */
function signThere(record) {
  const body = {
    kid: byId("kid").value.trim().toLowerCase(),
    passphrase: byId("passphrase").value,
    record,
  };
  return fetch("/sign", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Language": data.lang },
    body: JSON.stringify(body),
  });
}

async function sign(event) {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const button = byId("sign-button");
  button.disabled = true;
  say(t("portal.signing"));
  try {
    const record = await buildRecord();
    const response = browserMode() ? await signHere(record) : await signThere(record);
    if (response.ok) {
      byId("passphrase").value = "";
      const index = Number(response.headers.get("X-Registry-Entry-Index"));
      say(t("portal.done.detail", { index }), "ok");
      showResult(index);
    } else {
      say(await problemText(response), "error");
    }
  } catch (error) {
    say(t("portal.error", { status: String(error) }), "error");
  } finally {
    button.disabled = false;
  }
}

// -- the key kept in this browser, and its enrolment request

function keyStatus(message) {
  byId("key-status").textContent = message;
}

async function showKey() {
  try {
    browserKey = await loadKey();
  } catch {
    browserKey = null;
  }
  const enrol = byId("enrol-form");
  if (!browserKey) {
    keyStatus(t("portal.key.none"));
    enrol.hidden = false;
    return;
  }
  const kid = kidHex(browserKey);
  const id = kid.slice(0, 16);
  const response = await fetch(`/enrolment-requests/${id}`, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    keyStatus(t("portal.key.unknown", { kid: kid.slice(0, 16) }));
    enrol.hidden = false;
    return;
  }
  const request = await response.json();
  enrol.hidden = true;
  if (request.status !== "approved") {
    keyStatus(t("portal.key.pending", { kid: kid.slice(0, 16), id }));
    return;
  }
  keyStatus(t("portal.key.enrolled", { kid: kid.slice(0, 16), index: request.enrolment }));
  const suffix = data.lang === "id" ? "" : `?lang=${data.lang}`;
  byId("key-profile-link").href = `/signers/${kid}${suffix}`;
  byId("key-profile").hidden = false;
  const choice = byId("mode-browser");
  if (choice) {
    choice.disabled = false;
    choice.checked = true;
    showMode();
  }
}

async function requestEnrolment(event) {
  event.preventDefault();
  const enrol = byId("enrol-form");
  if (!enrol.reportValidity()) return;
  const status = byId("enrol-status");
  const button = byId("enrol-button");
  button.disabled = true;
  status.className = "";
  try {
    browserKey = browserKey ?? (await createKey());
    const value = (id) => byId(id).value.trim() || undefined;
    const payload = {
      type: "enrolment-request",
      public_key: browserKey.publicKey,
      role: byId("enrol-role").value,
      name: value("enrol-name"),
      jabatan: value("enrol-jabatan"),
      instansi: value("enrol-instansi"),
      province: value("enrol-province"),
      head_type: value("enrol-head-type"),
      decree_number: value("enrol-decree-number"),
      decree_date: value("enrol-decree-date"),
      term_start: value("enrol-term-start"),
      term_end: value("enrol-term-end"),
    };
    const statement = await signStatement(browserKey, payload);
    const response = await fetch("/enrolment-requests", {
      method: "POST",
      headers: { "Content-Type": "application/cose", "Accept-Language": data.lang },
      body: statement,
    });
    if (!response.ok) {
      status.textContent = await problemText(response);
      status.className = "error";
      return;
    }
    const request = await response.json();
    status.textContent = t("portal.enrol.sent", { id: request.id });
    await showKey();
  } catch (error) {
    const unsupported = error && error.name === "NotSupportedError";
    status.textContent = unsupported ? t("portal.enrol.no-ed25519") : String(error);
    status.className = "error";
  } finally {
    button.disabled = false;
  }
}

byId("enrol-form").addEventListener("submit", requestEnrolment);
showKey();

if (form) {
  byId("mode-browser").addEventListener("change", showMode);
  byId("mode-custodial").addEventListener("change", showMode);
  byId("template").addEventListener("change", showTemplate);
  for (const id of ["election", "instansi", "place", "date"]) {
    byId(id).addEventListener("input", showRecord);
  }
  form.addEventListener("submit", sign);
  showTemplate();
}
