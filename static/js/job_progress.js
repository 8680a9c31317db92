/* A long job's progress bar (leads/templates/leads/_job_progress.html): polls the box's
   data-progress-url every second for {state_label, done, total, percent, finished,
   status_note}, moves the bar, the counts and the status line (a dead worker, an
   unreachable queue), and reloads the page when the job has finished
   (the page then shows the result). A failed poll is tried again in three seconds. */
(function () {
  var box = document.querySelector("[data-progress]");
  if (!box) return;
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        box.querySelector("[data-progress-bar]").style.width = data.percent + "%";
        box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", data.percent);
        box.querySelector("[data-progress-done]").textContent = data.done.toLocaleString();
        box.querySelector("[data-progress-total]").textContent = data.total.toLocaleString();
        box.querySelector("[data-progress-state]").textContent = data.state_label;
        var status = box.querySelector("[data-progress-status]");
        if (status) { status.textContent = data.status_note || ""; status.hidden = !data.status_note; }
        if (data.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
