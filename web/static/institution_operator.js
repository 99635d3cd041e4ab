// institution_operator.js: /institutions/operator, the operator's page (an admin key). It
// approves or rejects the enrolment requests browsers sent (approval: the admin key signs the
// `enrolment` record the request makes, it is registered, and the request records the entry),
// enrols an institution's key (its public key, as its page shows it), and revokes keys.

import { button, byId, cell, decide, entryLink, fileSha256, pageLists, problemText, say, signRecord, startPage, t } from "./institution.js";

let lists = { requests: [], keys: [] };

/** The request's record, with the SHA-256 of the decree file chosen if it records none. */
async function withDecree(record) {
  const decree = await fileSha256(byId("req-decree-file"));
  return decree && !record.decree_sha256 ? { ...record, decree_sha256: decree } : record;
}

async function approve(request, submit) {
  const index =
    request.enrolled ??
    (await signRecord({ reportValidity: () => true }, submit, () => withDecree(request.record), "requests-status"));
  if (index === null) return;
  const answer = await decide(`/api/institutions/enrolment-requests/${request.id}/approval`, { entry: index });
  if (!answer.ok) say("requests-status", await problemText(answer), "error");
  else say("requests-status", t("inst.requests.approved", { id: request.id, index }), "ok");
  await refresh();
}

async function reject(request) {
  const answer = await decide(`/api/institutions/enrolment-requests/${request.id}/rejection`);
  if (!answer.ok) say("requests-status", await problemText(answer), "error");
  else say("requests-status", t("inst.requests.rejected", { id: request.id }), "ok");
  await refresh();
}

function showRequests() {
  const body = byId("requests-table").querySelector("tbody");
  body.replaceChildren();
  byId("requests-intro").textContent = t(lists.requests.length ? "inst.requests.intro" : "inst.requests.none");
  for (const request of lists.requests) {
    const row = document.createElement("tr");
    row.dataset.id = request.id;
    cell(row, request.id);
    cell(row, request.role);
    cell(row, request.name);
    cell(row, request.jabatan);
    cell(row, request.instansi);
    cell(row, `${request.decree_number} (${request.decree_date})`);
    const action = cell(row, "");
    if (request.record || request.enrolled !== null) {
      const approving = button(action, t("inst.requests.approve"), request.name, () => approve(request, approving));
      approving.className = "approve";
    }
    button(action, t("inst.requests.reject"), request.name, () => reject(request)).className = "reject";
    body.append(row);
  }
}

function showKeys() {
  const body = byId("keys-table").querySelector("tbody");
  body.replaceChildren();
  for (const key of lists.keys) {
    const row = document.createElement("tr");
    const kid = cell(row, `${key.kid.slice(0, 16)}…`);
    kid.title = key.kid;
    cell(row, key.role);
    cell(row, key.name);
    cell(row, key.instansi);
    const action = cell(row, "");
    action.append(entryLink(key.enrolment), " ");
    button(action, t("inst.keys.revoke"), key.name, () => {
      byId("rk-kid").value = key.kid;
      byId("rk-reason").focus();
    });
    body.append(row);
  }
}

async function refresh() {
  const found = await pageLists();
  if (!found) return;
  lists = found;
  showRequests();
  showKeys();
}

byId("enrol-key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => {
    const record = {
      type: "enrolment",
      public_key: byId("ek-public").value.trim(),
      role: byId("ek-role").value,
      name: byId("ek-name").value.trim(),
      jabatan: byId("ek-jabatan").value.trim(),
      instansi: byId("ek-instansi").value.trim(),
      decree_number: byId("ek-decree-number").value.trim(),
      decree_date: byId("ek-decree-date").value,
      term_start: byId("ek-term-start").value,
      term_end: byId("ek-term-end").value,
    };
    const decree = await fileSha256(byId("ek-decree-file"));
    if (decree) record.decree_sha256 = decree;
    return record;
  };
  if ((await signRecord(byId("enrol-key-form"), byId("ek-button"), build, "ek-status")) !== null) await refresh();
});

byId("revoke-key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => ({
    type: "key-revocation",
    kid: byId("rk-kid").value.trim().toLowerCase(),
    reason: byId("rk-reason").value.trim(),
    effective: byId("rk-effective").value,
  });
  if ((await signRecord(byId("revoke-key-form"), byId("rk-button"), build, "rk-status")) !== null) await refresh();
});

byId("rk-effective").value = new Date().toISOString().slice(0, 10);
startPage(refresh);
