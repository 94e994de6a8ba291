// Shows how much of a second-opinion upload has been sent. Progressive enhancement: without
// this script the form posts as usual. Loaded from this site only, so the pages' Content
// Security Policy (scripts from 'self', nothing inline) holds.
(function () {
  "use strict";

  function show(form, percent, text) {
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var label = form.querySelector("#upload-progress-text");
    if (!box || !bar) { return; }
    box.hidden = false;
    bar.value = percent;
    bar.textContent = percent + "%";
    if (label) { label.textContent = text; }
  }

  function replaceMain(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var incoming = parsed.querySelector("main");
    var current = document.querySelector("main");
    if (!incoming || !current) {
      document.open();
      document.write(html);
      document.close();
      return;
    }
    current.replaceWith(incoming);
    document.title = parsed.title;
    bind();
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  function send(event) {
    var form = event.currentTarget;
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) {
        var percent = Math.round((progress.loaded / progress.total) * 100);
        show(form, percent, percent + "% sent");
      }
    });
    request.upload.addEventListener("load", function () {
      show(form, 100, "Sent; checking your files…");
    });
    request.addEventListener("load", function () {
      var landed = request.responseURL || "";
      if (request.status < 400 && landed && landed.split("#")[0] !== form.action) {
        window.location.assign(landed);
        return;
      }
      replaceMain(request.responseText);
    });
    request.addEventListener("error", function () {
      if (button) { button.disabled = false; }
      show(form, 0, "The upload was interrupted. Check your connection and send it again.");
    });
    request.send(new FormData(form));
  }

  function bind() {
    var forms = document.querySelectorAll("form[data-upload-progress]");
    for (var i = 0; i < forms.length; i += 1) {
      forms[i].addEventListener("submit", send);
    }
  }

  bind();
}());
