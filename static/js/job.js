// Live progress of a background job: asks the server every two seconds, reloads the page when the job ends.
(function () {
  var box = document.getElementById("job-progress");
  if (!box || box.dataset.finished === "yes" || !window.fetch) { return; }
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) { meta.parentNode.removeChild(meta); }
  function tick() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.status === "done" || job.status === "dead" || job.status === "failed") { window.location.reload(); return; }
        var bar = document.getElementById("job-bar");
        bar.max = job.total || 1;
        bar.value = job.done;
        document.getElementById("job-status").textContent = job.status_label;
        var count = document.getElementById("job-count");
        if (count && job.total) { count.textContent = job.text; }
        window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
