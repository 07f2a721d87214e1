// Draws every Plotly figure embedded in the page: <div data-figure="script-id"> + json_script(script-id).
// Each chart's numbers are also on the page as a table or a sentence, so a page without JavaScript loses nothing.
(function () {
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      var small = el.dataset.chartSize === "small";
      Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true,
        displaylogo: false,
        displayModeBar: small ? false : "hover"
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
