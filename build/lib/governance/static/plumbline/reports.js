// Poll the status of unfinished reports on the list page and update their rows in place.
(function () {
  "use strict";
  var table = document.getElementById("report-table");
  if (!table) { return; }
  var statusUrl = table.dataset.statusUrl;

  function pending() {
    return Array.prototype.filter.call(table.querySelectorAll("tr[data-report-id]"), function (row) {
      return row.dataset.finished !== "1";
    });
  }

  function update(row, report) {
    row.querySelector('[data-field="status"]').textContent = report.status_display;
    row.querySelector('[data-field="status"]').className = "badge status-" + report.status;
    row.querySelector('[data-field="error"]').textContent = report.error || "";
    row.querySelector('[data-field="pages"]').textContent = report.page_count == null ? "" : report.page_count;
    var bar = row.querySelector('[role="progressbar"]');
    bar.setAttribute("aria-valuenow", report.progress);
    bar.firstElementChild.style.width = report.progress + "%";
    if (report.status === "succeeded" && !row.querySelector('[data-field="download"] a')) {
      var link = document.createElement("a");
      link.href = report.download_url;
      link.textContent = "Download PDF";
      row.querySelector('[data-field="download"]').appendChild(link);
    }
    if (report.finished) { row.dataset.finished = "1"; }
  }

  function poll() {
    var rows = pending();
    if (!rows.length) { return; }
    var query = rows.map(function (row) { return "id=" + encodeURIComponent(row.dataset.reportId); }).join("&");
    fetch(statusUrl + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { reports: [] }; })
      .then(function (body) {
        body.reports.forEach(function (report) {
          var row = table.querySelector('tr[data-report-id="' + report.id + '"]');
          if (row) { update(row, report); }
        });
      })
      .catch(function () { /* try again on the next tick */ })
      .then(function () { window.setTimeout(poll, 1500); });
  }

  window.setTimeout(poll, 1000);
})();
