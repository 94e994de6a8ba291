// The case form's helpers: the normal limit for the patient's age beside each nerve-conduction
// value, marked as it is typed, and the leg diagram that steps a skin area's grade. Both only
// show or set what the plain form already holds, so the form works without this file.
(function () {
  "use strict";
  var form = document.getElementById("field-case");
  if (!form) { return; }
  var age = document.getElementById("field-age");

  function number(text) {
    var cleaned = String(text || "").trim().replace(",", ".");
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) { return null; }
    return parseFloat(cleaned);
  }

  function amplitudeLimit(row, years) {
    var adult = number(row.getAttribute("data-amplitude-adult"));
    var bands = (row.getAttribute("data-amplitude-bands") || "").split(" ").filter(Boolean);
    var best = null;
    bands.forEach(function (band) {
      var parts = band.split(":");
      var from = parseInt(parts[0], 10);
      if (years !== null && from <= years && (best === null || from > best.from)) {
        best = { from: from, lower: number(parts[1]) };
      }
    });
    return best !== null && best.lower !== null ? best.lower : adult;
  }

  function check(cell) {
    var row = cell.closest("tr");
    var column = cell.getAttribute("data-column");
    var input = cell.querySelector("input");
    var limitText = cell.querySelector("[data-limit]");
    var flag = cell.querySelector("[data-flag]");
    if (!row || !input || !limitText || !flag) { return; }
    var years = age ? number(age.value) : null;
    var limit = null;
    var below = true;
    if (column === "amplitude") {
      limit = amplitudeLimit(row, years);
    } else if (column === "velocity") {
      limit = number(row.getAttribute("data-velocity-lower"));
    } else if (column === "latency") {
      limit = number(row.getAttribute("data-latency-upper"));
      below = false;
    }
    limitText.textContent = limit === null ? "" : "normal " + (below ? "\u2265 " : "\u2264 ") + limit;
    var value = number(input.value);
    var outside = value !== null && limit !== null && (below ? value < limit : value > limit);
    cell.classList.toggle("study-abnormal", outside);
    flag.textContent = outside ? "outside the normal limit" : "";
  }

  function checkAll() {
    form.querySelectorAll("td.study-cell").forEach(check);
  }

  form.addEventListener("input", function (event) {
    var target = event.target;
    if (target === age) { checkAll(); return; }
    var cell = target.closest ? target.closest("td.study-cell") : null;
    if (cell) { check(cell); }
  });

  var STEPS = ["", "reduced", "absent", "normal"];

  function paint(select) {
    var link = form.querySelector('a.sensory-area[data-field="' + select.id + '"]');
    if (!link) { return; }
    var shape = link.querySelector("polygon");
    shape.setAttribute("class", "grade-" + (select.value || "none"));
    link.setAttribute("aria-label", link.getAttribute("data-name") + ": " + (select.value || "not recorded"));
  }

  function step(link) {
    var select = document.getElementById(link.getAttribute("data-field"));
    if (!select) { return; }
    var next = STEPS[(STEPS.indexOf(select.value) + 1) % STEPS.length];
    select.value = next;
    paint(select);
  }

  form.querySelectorAll("a.sensory-area").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      step(link);
    });
    link.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        step(link);
      }
    });
  });

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.tagName === "SELECT" && target.id.indexOf(".sensation.") !== -1) { paint(target); }
  });

  checkAll();
})();
