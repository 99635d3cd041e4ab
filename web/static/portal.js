// portal.js: the /portal page. The signer chooses the election and a template published in the
// log, reads its text, and signs with the key the registry holds for them (POST /sign, with their
// passphrase). The template hash the record cites is computed here, from the very text shown, so
// the record signed cites exactly the text the signer read. The answer links the record page, its
// QR and its certificate.

import { pageData, text } from "./page.js";

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

async function sign(event) {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const button = byId("sign-button");
  button.disabled = true;
  say(t("portal.signing"));
  try {
    const body = {
      kid: byId("kid").value.trim().toLowerCase(),
      passphrase: byId("passphrase").value,
      record: await buildRecord(),
    };
    const response = await fetch("/sign", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": data.lang },
      body: JSON.stringify(body),
    });
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

if (form) {
  byId("template").addEventListener("change", showTemplate);
  for (const id of ["election", "instansi", "place", "date"]) {
    byId(id).addEventListener("input", showRecord);
  }
  form.addEventListener("submit", sign);
  showTemplate();
}
