// dashboard.js: the compliance pages' charts (Chart.js, served by this registry) drawn from the
// JSON API, and suggestions as one types in the record search. Classic script, no inline code.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const t = (key) => data.strings[key] ?? key.replace(/^fig\./, "").replace(/_/g, " ");
  const langQuery = data.lang === "id" ? "" : "?lang=" + data.lang;
  const COLORS = ["#8c1d18", "#0969da", "#9a6700", "#1a7f37"];

  function query(extra) {
    const params = new URLSearchParams(data.query || {});
    for (const [k, v] of Object.entries(extra || {})) params.set(k, v);
    const text = params.toString();
    return text ? "?" + text : "";
  }

  async function json(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(url + ": " + response.status);
    return response.json();
  }

  function value(cell) {
    return cell && typeof cell === "object" && "value" in cell ? cell.value : cell;
  }

  function chart(id, type, labels, datasets, options) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type,
      data: {
        labels,
        datasets: datasets.map((d, i) => ({
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length],
          pointRadius: 1.5,
          ...d,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        ...(options || {}),
      },
    });
  }

  const percent = { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + " %" } } } };

  async function dashboardCharts() {
    const months = await json("/api/dashboard/months" + query());
    const labels = months.items.map((r) => r.month);
    const series = ["recommendations", "followed_up", "overdue_at_month_end"];
    chart(
      "chart-months",
      "line",
      labels,
      series.map((name) => ({ label: t("fig." + name), data: months.items.map((r) => value(r[name])) })),
    );
    const provinces = await json("/api/dashboard/provinces" + query());
    const rows = provinces.items.filter((r) => r.province && value(r.recommendations) > 0);
    chart(
      "chart-provinces",
      "bar",
      rows.map((r) => r.province),
      [{ label: t("fig.follow_up_rate"), data: rows.map((r) => Math.round(value(r.follow_up_rate) * 1000) / 10) }],
      { indexAxis: "y", ...{ scales: { x: percent.scales.y } } },
    );
  }

  async function profileChart() {
    const profile = await json(data.profile);
    const rows = profile.rate_by_month || [];
    chart(
      "chart-rate",
      "line",
      rows.map((r) => r.month),
      [{ label: t("fig.follow_up_rate"), data: rows.map((r) => (r.follow_up_rate === null ? null : Math.round(r.follow_up_rate * 1000) / 10)) }],
      percent,
    );
  }

  function suggestions() {
    const list = document.getElementById("suggestions");
    if (!list) return;
    let timer = null;
    let asked = 0;
    const show = async (text) => {
      const mine = ++asked;
      if (text.trim().length < 2) {
        list.replaceChildren();
        return;
      }
      const found = await json("/api/suggest?" + new URLSearchParams({ q: text }));
      if (mine !== asked) return;
      list.replaceChildren(
        ...found.items.map((item) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = item.url + (item.url.includes("?") ? langQuery.replace("?", "&") : langQuery);
          a.textContent = item.label;
          const kind = document.createElement("span");
          kind.className = "kind";
          kind.textContent = t("suggest." + item.kind) + (item.detail ? " · " + item.detail : "");
          li.append(a, " ", kind);
          return li;
        }),
      );
    };
    for (const id of ["b-name", "b-instansi"]) {
      const input = document.getElementById(id);
      if (!input) continue;
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => show(input.value).catch(() => list.replaceChildren()), 150);
      });
    }
  }

  async function main() {
    suggestions();
    try {
      if (document.getElementById("chart-months")) await dashboardCharts();
      if (document.getElementById("chart-rate") && data.profile) await profileChart();
    } finally {
      document.body.dataset.chartsReady = "1";
    }
  }

  main();
})();
