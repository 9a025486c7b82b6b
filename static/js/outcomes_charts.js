/* The outcomes page's charts (Chart.js from npm): thickness curves aligned on the first
   infusion, one line per course with the median over them, and the share of courses started
   reaching the threshold by cell source. Data from the page's json_script element. */
(function () {
  "use strict";
  const element = document.getElementById("outcomes-chart-data");
  if (!element || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(element.textContent);
  const toPoints = (pairs) => pairs.map((pair) => ({ x: pair[0], y: pair[1] }));

  const curves = document.getElementById("thickness-curves");
  if (curves) {
    const lines = data.curves.lines.map((line) => ({
      data: toPoints(line),
      borderColor: "rgba(10, 88, 202, 0.25)",
      backgroundColor: "rgba(10, 88, 202, 0.25)",
      borderWidth: 1,
      pointRadius: 1.5,
      showLine: true,
      label: "course",
    }));
    const days = data.curves.lines.flat().map((pair) => pair[0]);
    const left = Math.min(0, ...days);
    const right = Math.max(30, ...days);
    lines.push({
      data: toPoints(data.curves.median),
      borderColor: "#212529",
      backgroundColor: "#212529",
      borderWidth: 3,
      pointRadius: 3,
      showLine: true,
      label: "median",
    });
    lines.push({
      data: [{ x: left, y: data.threshold }, { x: right, y: data.threshold }],
      borderColor: "#b02a37",
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      showLine: true,
      label: "threshold",
    });
    new Chart(curves, {
      type: "scatter",
      data: { datasets: lines },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: (item) => item.dataset.label !== "course" || lines.length < 200,
            callbacks: {
              label: (item) => `${item.dataset.label}: day ${item.parsed.x}, ${item.parsed.y} mm`,
            },
          },
        },
        scales: {
          x: { title: { display: true, text: "days from the first infusion" } },
          y: { title: { display: true, text: "thickness (mm)" }, suggestedMin: 0 },
        },
      },
    });
  }

  const bySource = document.getElementById("response-by-source");
  if (bySource) {
    const rows = data.sources;
    const share = (row) => (row.shown ? (100 * row.numerator) / row.denominator : null);
    new Chart(bySource, {
      type: "bar",
      data: {
        labels: rows.map((row) => `${row.label} (n = ${row.denominator})`),
        datasets: [
          {
            label: "reached the threshold, % of courses started",
            data: rows.map(share),
            backgroundColor: "#146c43",
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const row = rows[item.dataIndex];
                const ci = row.low === null ? "" : `, 95 % CI ${(100 * row.low).toFixed(1)}-${(100 * row.high).toFixed(1)} %`;
                return `${row.numerator} of ${row.denominator}${ci}`;
              },
            },
          },
        },
        scales: { x: { min: 0, max: 100, title: { display: true, text: "% of courses started (— under 5: not drawn)" } } },
      },
    });
  }
})();
