// institution_recommender.js: /institutions/recommender, the recommending authority's page.
// It lists the reports in the log, issues recommendations (report → instansi → PPK, the
// subject's commitment, a category of the published vocabulary, the sanction, the deadline,
// the registered election it belongs to) and shows what became of this key's recommendations.

import { button, byId, cell, data, entryLink, entryRow, noneRow, pageLists, signRecord, startPage, t } from "./institution.js";

let lists = { reports: [], ppks: [], elections: [], recommendations: [] };
const categoryLabels = new Map();
const form = byId("rec-form");

function option(select, value, label) {
  const made = document.createElement("option");
  made.value = value;
  made.textContent = label;
  select.append(made);
}

async function loadCategories() {
  const answer = await fetch("/api/vocabulary", { headers: { Accept: "application/json" } });
  if (!answer.ok) return;
  const { violation_categories: categories } = await answer.json();
  const select = byId("rec-category");
  select.replaceChildren();
  for (const category of categories) {
    categoryLabels.set(category.code, category[data.lang] ?? category.code);
    option(select, category.code, categoryLabels.get(category.code));
  }
}

function showPpks() {
  const instansi = byId("rec-instansi").value;
  const select = byId("rec-ppk");
  select.replaceChildren();
  for (const ppk of lists.ppks.filter((p) => p.instansi === instansi)) {
    option(select, ppk.kid, `${ppk.name} (${ppk.jabatan}, ${ppk.kid.slice(0, 8)}…)`);
  }
}

function showInstansi() {
  const select = byId("rec-instansi");
  const chosen = select.value;
  select.replaceChildren();
  for (const name of [...new Set(lists.ppks.map((p) => p.instansi))]) option(select, name, name);
  if (chosen) select.value = chosen;
  showPpks();
}

/** The registered elections (latest voting day first), keeping the one chosen if it stands. */
function showElections() {
  const select = byId("rec-election");
  const chosen = select.value;
  select.replaceChildren();
  for (const name of lists.elections) option(select, name, data.strings[`val.election.${name}`] ?? name);
  if (lists.elections.includes(chosen)) select.value = chosen;
  byId("rec-no-election").hidden = lists.elections.length > 0;
}

/** Fill the form from report `report` (the case it answers); its election when it names one. */
function fromReport(report) {
  byId("rec-report").value = report ? String(report.index) : "";
  if (!report) return;
  byId("rec-case").value = report.case_number ?? "";
  byId("rec-subject").value = report.subject_commitment ?? "";
  if (lists.ppks.some((p) => p.instansi === report.instansi)) byId("rec-instansi").value = report.instansi;
  showPpks();
  if (report.category) byId("rec-category").value = report.category;
  if (lists.elections.includes(report.election)) byId("rec-election").value = report.election;
  showPreview();
}

function showReports() {
  const body = byId("reports-table").querySelector("tbody");
  const select = byId("rec-report");
  body.replaceChildren();
  select.replaceChildren();
  option(select, "", t("inst.rec.no-report"));
  for (const report of lists.reports) {
    const row = entryRow(body, report.index);
    cell(row, report.case_number);
    cell(row, report.instansi);
    cell(row, categoryLabels.get(report.category) ?? report.category);
    cell(row, report.date);
    const action = cell(row, report.recommended ? t("inst.reports.answered") : "");
    if (!report.recommended) {
      button(action, t("inst.reports.recommend"), report.case_number, () => {
        fromReport(report);
        byId("rec-case").focus();
      });
    }
    option(select, String(report.index), `#${report.index} ${report.case_number}`);
  }
  noneRow(body, lists.reports, 6);
}

function showMine() {
  const body = byId("mine-table").querySelector("tbody");
  body.replaceChildren();
  for (const rec of lists.recommendations) {
    const row = entryRow(body, rec.index);
    row.dataset.status = rec.status;
    cell(row, rec.case_number);
    cell(row, rec.instansi);
    cell(row, data.strings[`portal.sanction.${rec.sanction_recommended}`] ?? rec.sanction_recommended);
    cell(row, rec.deadline);
    cell(row, data.strings[`portal.recs.status.${rec.status}`] ?? rec.status);
    const answer = cell(row, rec.follow_up === null && rec.refusal === null ? null : "");
    if (rec.follow_up !== null) answer.append(entryLink(rec.follow_up));
    else if (rec.refusal !== null) answer.append(entryLink(rec.refusal));
  }
  noneRow(body, lists.recommendations, 7);
}

/** The recommendation as JSON (hashes as hex); every field of the form, one line each. */
function buildRecommendation() {
  const record = {
    type: "recommendation",
    case_number: byId("rec-case").value.trim(),
    instansi: byId("rec-instansi").value,
    ppk_kid: byId("rec-ppk").value,
    subject_commitment: byId("rec-subject").value.trim().toLowerCase(),
    category: byId("rec-category").value,
    sanction: byId("rec-sanction").value,
    deadline: byId("rec-deadline").value,
  };
  const election = byId("rec-election").value;
  if (election !== "") record.election = election;
  const report = byId("rec-report").value;
  if (report !== "") record.report = Number(report);
  return record;
}

function showPreview() {
  byId("rec-preview").textContent = JSON.stringify(buildRecommendation(), null, 2);
}

async function refresh() {
  const found = await pageLists();
  if (!found) return;
  lists = found;
  showInstansi();
  showElections();
  showReports();
  showMine();
  showPreview();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const index = await signRecord(form, byId("rec-button"), async () => buildRecommendation(), "rec-status");
  if (index !== null) await refresh();
});
byId("rec-instansi").addEventListener("change", () => {
  showPpks();
  showPreview();
});
byId("rec-report").addEventListener("change", () => {
  fromReport(lists.reports.find((r) => String(r.index) === byId("rec-report").value));
});
form.addEventListener("input", showPreview);

startPage(async () => {
  await loadCategories();
  await refresh();
});
