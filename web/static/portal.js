// portal.js: the /portal page. The signer chooses the election and a template published in the
// log, reads its text, and signs with the key the registry holds for them (POST /sign, with their
// passphrase), or with a key this browser made and keeps (keystore.js), once the operator has
// approved its enrolment request. The template hash the record cites is computed here, from the very text shown, so
// the record signed cites exactly the text the signer read. The answer links the record page, its
// QR and its certificate.

import { pageData, problemText as pageProblemText, text } from "./page.js";
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
  const record = await buildRecord();
  // What a browser key signs names its signer too (signHere); a custodial key's, the registry.
  if (browserMode() && browserSigner) record.signer = browserSigner;
  byId("record-preview").textContent = JSON.stringify(record, null, 2);
}

function say(message, kind = "") {
  const status = byId("portal-status");
  status.textContent = message;
  status.className = kind;
}

/** The words of a problem (RFC 9457) answer, in this page's language. */
const problemText = (response) => pageProblemText(response, data.strings);

function showResult(index, type) {
  byId("result-certificate").parentElement.hidden = !["pact", "declaration"].includes(type);
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
  byId("custodial-fields").hidden = Boolean(browserMode());
}

// The browser key's enrolment as a pledge names its signer: {name, jabatan, instansi}. A pact,
// declaration or follow-up names it (registration refuses any other); with a custodial key the
// registry, which holds the key and its enrolment, fills it in.
let browserSigner = null;
const NAMING_TYPES = ["pact", "declaration", "follow-up"];

/** The signer an enrolment entry names (read from the log's JSON view of entry `index`). */
async function enrolledSigner(index) {
  const response = await fetch(`/entries/${index}`, { headers: { Accept: "application/json" } });
  if (!response.ok) return null;
  const { payload } = await response.json();
  return { name: payload.name, jabatan: payload.jabatan, instansi: payload.instansi };
}

/** Sign the record here with the browser's key and register it (POST /entries). */
async function signHere(record) {
  const payload = { ...record };
  if (NAMING_TYPES.includes(payload.type) && !payload.signer && browserSigner)
    payload.signer = browserSigner;
  for (const name of ["template", "decree_sha256"]) {
    if (payload[name]) payload[name] = hashBytes(payload[name]);
  }
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

/** Whether a way to sign is chosen and filled in (the custodial fields are outside the forms). */
function keyReady() {
  if (browserMode()) return Boolean(browserKey);
  for (const id of ["kid", "passphrase"]) {
    if (!byId(id).checkValidity()) {
      byId(id).reportValidity();
      return false;
    }
  }
  return true;
}

/**
 * Sign `record` (built by `build`) the chosen way and show the entry; `sayTo(message, kind)`
 * reports progress and refusals next to the button that was pressed.
 */
async function signAndShow(owner, button, build, sayTo) {
  if (!owner.reportValidity() || !keyReady()) return null;
  button.disabled = true;
  sayTo(t("portal.signing"), "");
  let record;
  try {
    record = await build();
    const response = browserMode() ? await signHere(record) : await signThere(record);
    if (!response.ok) {
      sayTo(await problemText(response), "error");
      return null;
    }
    byId("passphrase").value = "";
    const index = Number(response.headers.get("X-Registry-Entry-Index"));
    sayTo(t("portal.done.detail", { index }), "ok");
    showResult(index, record.type);
    return index;
  } catch (error) {
    sayTo(t("portal.error", { status: String(error) }), "error");
    return null;
  } finally {
    button.disabled = false;
  }
}

async function sign(event) {
  event.preventDefault();
  await signAndShow(form, byId("sign-button"), buildRecord, say);
}

// -- recommendations addressed to the signer's instansi, and their follow-up

const followUp = byId("followup-form");
let decreeHash = null;

function followUpSay(message, kind) {
  const status = byId("fu-status");
  status.textContent = message;
  status.className = kind;
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value ?? "\u2013";
  row.append(td);
  return td;
}

/** Show the recommendations addressed to the instansi of key `kid` (hex). */
async function showRecommendations(kid) {
  const signer = await fetch(`/api/compliance/signers/${kid}`, { headers: { Accept: "application/json" } });
  if (!signer.ok) return;
  const { instansi } = await signer.json();
  const query = new URLSearchParams({ instansi, limit: "1000" });
  const items = [];
  // the list is paged: every page, each one's `next` in turn
  for (let url = `/api/compliance/recommendations?${query}`; url; ) {
    const answer = await fetch(url);
    if (!answer.ok) return;
    const page = await answer.json();
    items.push(...page.items);
    url = page.next;
  }
  const section = byId("recommendations");
  section.hidden = false;
  byId("recs-intro").textContent = t(items.length ? "portal.recs.intro" : "portal.recs.none", { instansi });
  const body = byId("recs-table").querySelector("tbody");
  const choice = byId("fu-recommendation");
  body.replaceChildren();
  choice.replaceChildren();
  for (const rec of items) {
    const row = document.createElement("tr");
    cell(row, rec.case_number);
    cell(row, data.strings[`portal.sanction.${rec.sanction_recommended}`] ?? rec.sanction_recommended);
    cell(row, rec.deadline);
    cell(row, data.strings[`portal.recs.status.${rec.status}`] ?? rec.status);
    const action = cell(row, "");
    if (rec.status !== "followed-up") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "follow-up";
      button.dataset.index = String(rec.index);
      button.textContent = t("portal.recs.follow-up");
      button.setAttribute("aria-label", `${t("portal.recs.follow-up")}: ${rec.case_number}`);
      button.addEventListener("click", () => {
        followUp.hidden = false;
        choice.value = String(rec.index);
        byId("fu-sanction").value = rec.sanction_recommended;
        byId("fu-action").focus();
      });
      action.append(button);
      const option = document.createElement("option");
      option.value = String(rec.index);
      option.textContent = `${rec.case_number} (#${rec.index}, ${rec.deadline})`;
      choice.append(option);
    }
    body.append(row);
  }
}

function showAction() {
  const sanctioned = byId("fu-action").value === "sanctioned";
  byId("fu-sanctioned").hidden = !sanctioned;
  byId("fu-reason-field").hidden = sanctioned;
  byId("fu-decree-number").required = sanctioned;
  byId("fu-decree-date").required = sanctioned;
  byId("fu-reason").required = !sanctioned;
}

async function hashDecree() {
  const file = byId("fu-decree-file").files[0];
  decreeHash = null;
  if (!file) return;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  decreeHash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  byId("fu-file-hash").textContent = t("portal.fu.file-hash", { name: file.name, hash: decreeHash });
}

async function buildFollowUp() {
  const record = {
    type: "follow-up",
    recommendation: Number(byId("fu-recommendation").value),
    action: byId("fu-action").value,
  };
  if (record.action === "sanctioned") {
    record.sanction = byId("fu-sanction").value;
    record.decree_number = byId("fu-decree-number").value.trim();
    record.decree_date = byId("fu-decree-date").value;
    if (decreeHash) record.decree_sha256 = decreeHash;
  } else {
    record.reason = byId("fu-reason").value.trim();
  }
  return record;
}

async function signFollowUp(event) {
  event.preventDefault();
  const index = await signAndShow(followUp, byId("fu-button"), buildFollowUp, followUpSay);
  if (index !== null) {
    const kid = browserMode() ? kidHex(browserKey) : byId("kid").value.trim().toLowerCase();
    await showRecommendations(kid);
  }
}

followUp.addEventListener("submit", signFollowUp);

// -- revoking a record the signer signed (a revocation statement; nothing is deleted)

byId("revoke-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => ({
    type: "revocation",
    entry: Number(byId("revoke-entry").value),
    reason: byId("revoke-reason").value.trim(),
  });
  const sayTo = (message, kind) => {
    const status = byId("revoke-status");
    status.textContent = message;
    status.className = kind;
  };
  await signAndShow(byId("revoke-form"), byId("revoke-button"), build, sayTo);
});
byId("fu-action").addEventListener("change", showAction);
byId("fu-decree-file").addEventListener("change", hashDecree);
byId("kid").addEventListener("change", () => {
  const kid = byId("kid").value.trim().toLowerCase();
  if (/^[0-9a-f]{64}$/.test(kid)) showRecommendations(kid);
});
byId("mode-browser").addEventListener("change", showMode);
byId("mode-custodial").addEventListener("change", showMode);
showAction();

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
    byId("enrol-details").hidden = false;
    return;
  }
  const kid = kidHex(browserKey);
  const id = kid.slice(0, 16);
  const response = await fetch(`/enrolment-requests/${id}`, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    keyStatus(t("portal.key.unknown", { kid: kid.slice(0, 16) }));
    enrol.hidden = false;
    byId("enrol-details").hidden = false;
    byId("enrol-details").open = true;
    return;
  }
  const request = await response.json();
  enrol.hidden = true;
  byId("enrol-details").hidden = true;
  if (request.status !== "approved") {
    keyStatus(t("portal.key.pending", { kid: kid.slice(0, 16), id }));
    return;
  }
  keyStatus(t("portal.key.enrolled", { kid: kid.slice(0, 16), index: request.enrolment }));
  browserSigner = await enrolledSigner(request.enrolment);
  const suffix = data.lang === "id" ? "" : `?lang=${data.lang}`;
  byId("key-profile-link").href = `/signers/${kid}${suffix}`;
  byId("key-profile").hidden = false;
  const choice = byId("mode-browser");
  choice.disabled = false;
  choice.checked = true;
  showMode();
  if (form) await showRecord(); // the preview now names the signer
  await showRecommendations(kid);
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
  byId("template").addEventListener("change", showTemplate);
  for (const id of ["election", "instansi", "place", "date"]) {
    byId(id).addEventListener("input", showRecord);
  }
  form.addEventListener("submit", sign);
  showTemplate();
}
