// institution_bkn.js: /institutions/bkn, BKN's page. It lists the overdue recommendations with
// each PPK's current enforcement step, records the next step (early warning, warning,
// reprimand, block, unblock) and blocks of the recommended ASN's staff status, and
// countersigns enrolments (an `enrolment-confirmation` citing the decree's SHA-256, computed
// here from the decree's file, which never leaves the device).

import { button, byId, cell, entryRow, fileSha256, noneRow, pageLists, signRecord, startPage, t } from "./institution.js";

const LADDER = ["early-warning", "warning", "reprimand", "block"];
let lists = { overdue: [], enrolments: [] };
let decreeHash = null;

function nextStep(current) {
  if (!current || current.step === "unblock") return "early-warning";
  const at = LADDER.indexOf(current.step);
  return at >= 0 && at < LADDER.length - 1 ? LADDER[at + 1] : "unblock";
}

function stepLabel(step) {
  return step ? t(`val.step.${step}`) : t("inst.step.none");
}

function showOverdue() {
  const body = byId("overdue-table").querySelector("tbody");
  body.replaceChildren();
  byId("overdue-intro").textContent = t(lists.overdue.length ? "inst.overdue.intro" : "inst.overdue.none");
  for (const rec of lists.overdue) {
    const row = entryRow(body, rec.index);
    cell(row, rec.case_number);
    cell(row, rec.instansi);
    cell(row, rec.deadline);
    cell(row, stepLabel(rec.current_step?.step));
    const action = cell(row, "");
    button(action, t("inst.step.record"), rec.case_number, () => {
      byId("step-ppk").value = rec.ppk_kid;
      byId("step-instansi").value = rec.instansi;
      byId("step-step").value = nextStep(rec.current_step);
      byId("step-recs").value = String(rec.index);
      byId("step-reason").focus();
    });
    button(action, t("inst.block.fill"), rec.case_number, () => {
      byId("block-rec").value = String(rec.index);
      byId("block-subject").value = rec.subject_commitment ?? "";
      byId("block-instansi").value = rec.instansi;
      byId("block-reason").focus();
    });
  }
}

function showEnrolments() {
  const body = byId("confirm-table").querySelector("tbody");
  const select = byId("confirm-enrolment");
  body.replaceChildren();
  select.replaceChildren();
  for (const enrolment of lists.enrolments) {
    const row = entryRow(body, enrolment.index);
    cell(row, enrolment.name);
    cell(row, enrolment.jabatan);
    cell(row, enrolment.instansi);
    cell(row, enrolment.decree_number);
    const option = document.createElement("option");
    option.value = String(enrolment.index);
    option.textContent = `#${enrolment.index} ${enrolment.name} (${enrolment.instansi})`;
    select.append(option);
  }
  noneRow(body, lists.enrolments, 5);
}

async function refresh() {
  const found = await pageLists();
  if (!found) return;
  lists = found;
  showOverdue();
  showEnrolments();
}

async function showDecreeHash() {
  decreeHash = await fileSha256(byId("confirm-file"));
  const chosen = lists.enrolments.find((e) => String(e.index) === byId("confirm-enrolment").value);
  if (!decreeHash) return;
  const same = chosen && chosen.decree_sha256 === decreeHash;
  byId("confirm-hash").textContent = t(same ? "inst.confirm.same" : "inst.confirm.differs", { hash: decreeHash });
}

const recsOf = (value) => value.split(/[\s,]+/).filter(Boolean).map(Number);

byId("step-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => ({
    type: "enforcement",
    ppk_kid: byId("step-ppk").value.trim().toLowerCase(),
    instansi: byId("step-instansi").value.trim(),
    step: byId("step-step").value,
    reason: byId("step-reason").value.trim(),
    recommendations: recsOf(byId("step-recs").value),
  });
  if ((await signRecord(byId("step-form"), byId("step-button"), build, "step-status")) !== null) await refresh();
});

byId("block-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => ({
    type: "staff-block",
    recommendation: Number(byId("block-rec").value),
    subject_commitment: byId("block-subject").value.trim().toLowerCase(),
    instansi: byId("block-instansi").value.trim(),
    action: byId("block-action").value,
    reason: byId("block-reason").value.trim(),
  });
  await signRecord(byId("block-form"), byId("block-button"), build, "block-status");
});

byId("confirm-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const build = async () => ({
    type: "enrolment-confirmation",
    enrolment: Number(byId("confirm-enrolment").value),
    decree_sha256: decreeHash ?? (await fileSha256(byId("confirm-file"))),
  });
  if ((await signRecord(byId("confirm-form"), byId("confirm-button"), build, "confirm-status")) !== null) await refresh();
});
byId("confirm-file").addEventListener("change", showDecreeHash);
byId("confirm-enrolment").addEventListener("change", showDecreeHash);

startPage(refresh);
