// Draws the overview's chart (exchanges per hour by outcome) with Chart.js, from the numbers the
// console put in the canvas's data-chart attribute.
'use strict';

(function () {
  const canvas = document.getElementById('chart');
  if (!canvas || typeof Chart === 'undefined') return;
  const data = JSON.parse(canvas.dataset.chart);
  const colours = { ok: '#1b7f3b', failed: '#b35c00', denied: '#b00020', rejected: '#5c2d91' };
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: Object.keys(data.series).map((name) => ({
        label: name, data: data.series[name], backgroundColor: colours[name] || '#555', stack: 'all',
      })),
    },
    options: {
      animation: false,
      responsive: true,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  canvas.dataset.drawn = String(chart.data.datasets.length);
})();
