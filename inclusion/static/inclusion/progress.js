// The "working out the figures" page: poll the run's progress and reload when it ends.
// Without JavaScript the page offers a "Check again" link instead.
(function () {
  "use strict";
  var box = document.getElementById("inclusion-calculating");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("calculating-progress");
  var step = document.getElementById("calculating-step");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        if (run.outcome !== "running") { window.location.reload(); return; }
        if (run.total) { bar.max = run.total; bar.value = run.done; }
        if (run.label && step.textContent !== run.label) { step.textContent = run.label; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
