// The dashboard's filters: when another service is picked, the "Measure" list offers only
// that service's measures (keeping the chosen one if the new service has it). Without
// JavaScript the server does the same on "Show", and says so if a measure had to change.
(function () {
  "use strict";
  var form = document.getElementById("dashboard-filters");
  var data = document.getElementById("measures-by-service");
  if (!form || !data) { return; }
  var measures = JSON.parse(data.textContent);
  var service = form.querySelector("select[name=service]");
  var metric = form.querySelector("select[name=metric]");
  if (!service || !metric) { return; }
  service.addEventListener("change", function () {
    var own = measures[service.value];
    if (!own || !own.length) { return; }
    var current = metric.value;
    while (metric.options.length) { metric.remove(0); }
    own.forEach(function (pair) {
      metric.add(new Option(pair[1], pair[0], false, pair[0] === current));
    });
    if (metric.selectedIndex < 0) { metric.selectedIndex = 0; }
  });
})();
