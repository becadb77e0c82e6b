// Polls the progress of an evidence export job and shows the download link when it is ready.
'use strict';

(function () {
  const box = document.getElementById('export');
  if (!box) return;
  const bar = document.getElementById('export-progress');
  const count = document.getElementById('export-count');
  const status = document.getElementById('export-status');
  const link = document.getElementById('export-link');
  async function poll() {
    const res = await fetch(`/api/export/${encodeURIComponent(box.dataset.job)}`, { credentials: 'same-origin' });
    const job = res.ok ? await res.json() : { finished: true, code: `HTTP ${res.status}` };
    bar.max = Math.max(job.total || 1, 1);
    bar.value = job.done || 0;
    count.textContent = `${job.done || 0} / ${job.total || '?'}`;
    if (!job.finished) { setTimeout(poll, 300); return; }
    if (job.code) {
      status.textContent = `${box.dataset.textFailed}: ${job.code}`;
      box.dataset.result = 'failed';
    } else {
      status.textContent = box.dataset.textReady;
      link.hidden = false;
      box.dataset.result = 'ready';
    }
  }
  poll().catch((e) => { status.textContent = `${box.dataset.textFailed}: ${e.message}`; });
})();
