// The dashboard's script, served as a file (the CSP forbids inline scripts). It renders
// /api/health/overall and /api/alerts, then follows the WebSocket's updates; if the socket drops it
// polls until it reconnects. Text is set with textContent only: nothing from the API becomes markup.
/* global document, fetch, WebSocket, location, setInterval, clearInterval, setTimeout */
"use strict";

(function () {
  var POLL_MS = 10000;
  var pollTimer = null;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function statusBadge(status) {
    return el("span", { class: "status " + status, "data-status": status }, status);
  }
  function ms(v) { return v === null || v === undefined ? "–" : Math.round(v) + " ms"; }
  function pct(v) { return v === null || v === undefined ? "–" : (Math.round(v * 1000) / 10) + "%"; }
  function ago(iso) {
    if (!iso) return "never";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 120 ? s + " s ago" : Math.round(s / 60) + " min ago";
  }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h " + Math.round((seconds % 3600) / 60) + " min";
  }
  function row(cls, attrs, cells) {
    var tr = el("tr", Object.assign({ class: cls }, attrs));
    cells.forEach(function (c) {
      var td = el("td", c.cls ? { class: c.cls } : null);
      if (c.node) td.appendChild(c.node); else td.textContent = c.text === undefined ? "" : String(c.text);
      tr.appendChild(td);
    });
    return tr;
  }

  function renderOverall(data) {
    var o = document.getElementById("overall");
    o.className = "status " + data.overall;
    o.setAttribute("data-status", data.overall);
    o.textContent = data.overall;
    document.getElementById("summary").textContent =
      data.healthyServices + " healthy, " + data.degradedServices + " degraded, " + data.unhealthyServices + " unhealthy, " +
      data.unknownServices + " not checked yet · " + data.activeAlerts + " open alert" + (data.activeAlerts === 1 ? "" : "s");

    var tbody = document.querySelector("#services tbody");
    var rows = [];
    Object.keys(data.services).forEach(function (name) {
      var s = data.services[name];
      if (s.kind === "backup") return;
      rows.push(row("service", { "data-service": name, "data-status": s.status }, [
        { text: name }, { node: statusBadge(s.status) },
        { text: s.replicas ? s.healthyReplicas + "/" + s.replicas : "–" },
        { text: ms(s.responseTime) }, { text: pct(s.errorRate) }, { text: ago(s.timestamp) },
        { text: "" }, { text: "" }, { text: "" }, { text: s.error || "", cls: "detail" },
      ]));
      s.targets.forEach(function (t) {
        rows.push(row("target", { "data-target": t.name, "data-status": t.status }, [
          { text: t.name + " (" + t.kind + ")" }, { node: statusBadge(t.status) }, { text: "" },
          { text: ms(t.responseTime) }, { text: pct(t.errorRate) }, { text: ago(t.lastCheck) },
          { text: t.tools === undefined ? "–" : t.tools },
          { text: pct(t.memoryRatio) }, { text: pct(t.cpuRatio) },
          { text: t.error || t.checks.map(function (c) { return c.check + ": " + c.detail; }).join(" · "), cls: "detail" },
        ]));
      });
    });
    tbody.replaceChildren.apply(tbody, rows);

    var dl = document.getElementById("backup");
    var b = data.backup;
    var items = b
      ? [["status", statusBadge(b.status)], ["last verified backup", b.lastVerifiedBackup || "none"], ["age", age(b.ageSeconds)],
         ["RPO", b.rpoMinutes + " min"], ["snapshot", b.snapshotId || "–"],
         ["last restore drill", b.lastRestoreDrill ? (b.lastRestoreDrill.ok ? "passed " : "FAILED ") + (b.lastRestoreDrill.time || "") : "none recorded"],
         ["problem", b.error || "–"]]
      : [["status", "not watched"]];
    var nodes = [];
    items.forEach(function (kv) {
      nodes.push(el("dt", null, kv[0]));
      var dd = el("dd", kv[0] === "age" ? { id: "backup-age" } : null);
      if (typeof kv[1] === "string") dd.textContent = kv[1]; else dd.appendChild(kv[1]);
      nodes.push(dd);
    });
    dl.replaceChildren.apply(dl, nodes);
  }

  function renderAlerts(alerts) {
    var ul = document.getElementById("alerts");
    var open = alerts.filter(function (a) { return !a.resolved; });
    if (!open.length) { ul.replaceChildren(el("li", null, "none")); return; }
    ul.replaceChildren.apply(ul, open.map(function (a) {
      return el("li", { class: a.severity, "data-alert": a.type, "data-target": a.target }, a.timestamp + " · " + a.type + " · " + a.target + " · " + a.message);
    }));
  }

  function refresh() {
    return Promise.all([
      fetch("/api/health/overall").then(function (r) { return r.json(); }),
      fetch("/api/alerts?resolved=false").then(function (r) { return r.json(); }),
    ]).then(function (res) { renderOverall(res[0]); renderAlerts(res[1]); })
      .catch(function (e) { document.getElementById("live").textContent = "API unreachable: " + e.message; });
  }

  function connect() {
    var live = document.getElementById("live");
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = function () {
      live.className = "live on"; live.textContent = "live";
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "health") renderOverall(msg.data);
      if (msg.type === "alert") refresh();
    };
    ws.onclose = function () {
      live.className = "live off"; live.textContent = "reconnecting… (polling every " + POLL_MS / 1000 + " s)";
      if (!pollTimer) pollTimer = setInterval(refresh, POLL_MS);
      setTimeout(connect, 3000);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    connect();
  });
})();
