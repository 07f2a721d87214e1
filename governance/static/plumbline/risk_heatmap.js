// Risk heat maps: clicking a cell opens the register filtered to that cell (its link rides in customdata).
// Runs after plumbline/charts.js has drawn the figures; the tables under the charts have the same links.
(function () {
  function link() {
    document.querySelectorAll(".js-risk-heatmap").forEach(function (el) {
      if (typeof el.on !== "function") { return; }
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && point.customdata) { window.location.href = point.customdata; }
      });
      el.style.cursor = "pointer";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", link);
  } else {
    link();
  }
})();
