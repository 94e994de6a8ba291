// The report's Print button. Without this script the button stays hidden and the browser's own
// Print command (or the PDF) does the same; loaded from this site only, so the Content Security
// Policy (scripts from 'self', nothing inline) holds.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
