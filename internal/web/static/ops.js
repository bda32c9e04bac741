// Draws the operations page's charts with Chart.js from the JSON the page
// carries, and redraws them in place whenever htmx swaps fresh figures in
// (the canvases are kept across swaps with hx-preserve).
(function () {
  "use strict";
  function specs() {
    var out = [];
    document.querySelectorAll("script[data-charts]").forEach(function (el) {
      try { out = out.concat(JSON.parse(el.textContent) || []); } catch (e) { /* a broken block draws nothing */ }
    });
    return out;
  }
  function draw() {
    if (!window.Chart) return;
    specs().forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) return;
      var chart = window.Chart.getChart(canvas);
      if (!chart) {
        new window.Chart(canvas, { type: spec.type, data: spec.data, options: spec.options || {} });
        return;
      }
      chart.data.labels = spec.data.labels || [];
      var sets = spec.data.datasets || [];
      sets.forEach(function (ds, i) {
        if (chart.data.datasets[i]) {
          chart.data.datasets[i].data = ds.data;
          chart.data.datasets[i].label = ds.label;
        } else {
          chart.data.datasets.push(ds);
        }
      });
      chart.data.datasets.length = sets.length;
      chart.update("none");
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (e) {
    if (document.querySelector("script[data-charts]")) draw();
  });
  if (document.readyState !== "loading") draw();
})();
