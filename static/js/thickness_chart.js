// The endometrial-thickness chart on the patient page (Chart.js with its date-fns time axis).
// Data come from a json_script element (selectors/course_glance.py::thickness_chart_data):
// results by date with their role, infusions, the threshold. The table below the chart holds
// the same values for screen readers.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  const COLOURS = {
    line: "#0a58ca",
    decided: "#146c43",
    response: "#198754",
    baseline: "#6c757d",
    threshold: "#b02a37",
    infusion: "#6f42c1",
  };

  // Vertical lines at the infusions, labelled: drawn under the data.
  const infusionLines = {
    id: "infusionLines",
    beforeDatasetsDraw(chart, _args, options) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "left";
      for (const infusion of options.infusions || []) {
        const x = scales.x.getPixelForValue(new Date(infusion.date + "T12:00:00").getTime());
        if (x < chartArea.left || x > chartArea.right) continue;
        ctx.strokeStyle = COLOURS.infusion;
        ctx.lineWidth = 1.5;
        ctx.setLineDash(infusion.done ? [] : [3, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillStyle = COLOURS.infusion;
        const text = infusion.label + (infusion.done ? "" : " (planned)");
        // Near the right edge the label goes to the line's left.
        const fits = x + 3 + ctx.measureText(text).width <= chartArea.right;
        ctx.textAlign = fits ? "left" : "right";
        ctx.fillText(text, fits ? x + 3 : x - 3, chartArea.top + 11);
      }
      ctx.restore();
    },
  };

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chartSource);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const day = (iso) => new Date(iso + "T12:00:00").getTime();
    const points = data.results.map((r) => ({ x: day(r.date), y: r.mm, result: r }));
    const dates = points.map((p) => p.x).concat(data.infusions.map((i) => day(i.date)));
    const pad = 3 * 24 * 3600 * 1000;
    const min = Math.min(...dates) - pad;
    const max = Math.max(...dates) + pad;
    const top = Math.max(12, data.threshold + 2, ...data.results.map((r) => r.mm + 2));

    const chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: "Thickness (mm)",
            data: points,
            borderColor: COLOURS.line,
            backgroundColor: points.map((p) =>
              p.result.decided ? COLOURS.decided : p.result.role === "baseline" ? COLOURS.baseline : COLOURS.line,
            ),
            pointStyle: points.map((p) => (p.result.decided ? "rectRot" : p.result.role === "response" ? "rect" : "circle")),
            pointRadius: points.map((p) => (p.result.decided ? 9 : 5)),
            pointHoverRadius: points.map((p) => (p.result.decided ? 11 : 7)),
            tension: 0,
          },
          {
            label: `Threshold ${data.threshold} mm`,
            data: [
              { x: min, y: data.threshold },
              { x: max, y: data.threshold },
            ],
            borderColor: COLOURS.threshold,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            pointHoverRadius: 0,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: {
            type: "time",
            min,
            max,
            time: { unit: "week", tooltipFormat: "EEE d MMM yyyy", displayFormats: { week: "d MMM", day: "d MMM", month: "MMM yyyy" } },
            title: { display: true, text: "Date" },
          },
          y: { min: 0, max: Math.ceil(top), title: { display: true, text: "Thickness (mm)" } },
        },
        plugins: {
          infusionLines: { infusions: data.infusions },
          legend: { labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: (item) => (item.raw.result ? item.raw.result.label + (item.raw.result.decided ? " — decided" : "") : item.dataset.label),
            },
          },
        },
      },
      plugins: [infusionLines],
    });
    canvas.dataset.points = String(points.length);
    canvas.dataset.threshold = String(data.threshold);
    canvas.dataset.infusions = String(data.infusions.length);
    canvas.dataset.decided = String(points.filter((p) => p.result.decided).length);
    canvas.dataset.drawn = chart ? "yes" : "no";
  }

  document.querySelectorAll("canvas[data-chart-source]").forEach(draw);
})();
