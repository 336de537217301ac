// The console's own script (no inline scripts: the Content-Security-Policy forbids them).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const feed = document.getElementById("scan-feed");
  if (feed) liveScans(feed);
});

// The live board: scans arrive over server-sent events; the browser reconnects by itself.
function liveScans(feed) {
  const list = feed.querySelector("tbody");
  const state = document.getElementById("feed-state");
  const empty = document.getElementById("feed-empty");
  const labels = JSON.parse(feed.dataset.labels || "{}");
  const stations = JSON.parse(feed.dataset.stations || "{}");
  const maxRows = 50;
  const source = new EventSource(feed.dataset.stream);
  source.addEventListener("open", () => { state.textContent = labels.connected || "connected"; });
  source.addEventListener("error", () => { state.textContent = labels.reconnecting || "reconnecting…"; });
  source.addEventListener("scan", (event) => {
    const scan = JSON.parse(event.data);
    if (empty) empty.hidden = true;
    const row = document.createElement("tr");
    row.dataset.scanId = scan.scan_id;
    const cells = [
      new Date().toLocaleTimeString(document.documentElement.lang),
      stations[scan.station_id] || scan.station_id.slice(0, 8),
      labels[scan.mode] || scan.mode,
      scan.code,
      null,
      scan.reason || "",
    ];
    for (const value of cells) {
      const td = document.createElement("td");
      if (value === null) {
        const badge = document.createElement("span");
        badge.className = "status status-" + scan.status;
        badge.textContent = labels[scan.status] || scan.status;
        td.appendChild(badge);
      } else {
        td.textContent = value;
      }
      row.appendChild(td);
    }
    list.prepend(row);
    // The stations (last contact) and the plot follow the scans (throttled by htmx).
    document.body.dispatchEvent(new CustomEvent("scan-arrived"));
    while (list.rows.length > maxRows) list.deleteRow(-1);
    if (scan.status === "conflict" || scan.status === "rejected") {
      document.body.dispatchEvent(new CustomEvent("review-changed"));
    }
  });
}

document.addEventListener("click", (event) => {
  if (event.target.closest(".print-button")) window.print();
});
