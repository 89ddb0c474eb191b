// Beteiligung's few lines of client code (KERN-07): focus after swaps (A11Y-08), the shared
// status region (A11Y-09) and busy state while a form is sent (A11Y-11). No inline handlers,
// no eval: it runs under the strict Content-Security-Policy.
(function () {
  "use strict";
  var status = function () { return document.getElementById("sr-status"); };

  function announce(message) {
    var region = status();
    if (!region || !message) { return; }
    region.textContent = "";
    // A fresh text node after a tick is announced even when the text repeats.
    window.setTimeout(function () { region.textContent = String(message).slice(0, 150); }, 50);
  }
  window.beteiligung = { announce: announce };

  document.addEventListener("bt:announce", function (event) {
    var detail = event.detail || {};
    announce(detail.message || detail.value);
  });

  function focusAfterSwap(root) {
    var scope = root && root.querySelector ? root : document;
    var target = (scope.matches && scope.matches("[data-focus-after-swap]")) ? scope
      : scope.querySelector("[data-focus-after-swap]");
    if (!target) {
      // The swapped element itself replaced the focused one: keep focus inside it.
      if (document.activeElement === document.body && document.contains(scope) && scope !== document) {
        target = scope.querySelector("h1, h2, [tabindex='-1']") || scope;
        if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      }
    }
    if (target) { target.focus(); }
  }

  document.addEventListener("htmx:after:settle", function (event) {
    var detail = event.detail || {};
    focusAfterSwap(detail.target || event.target);
  });

  document.addEventListener("htmx:before:request", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (!form) { return; }
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });
  document.addEventListener("htmx:finally:request", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (!form) { return; }
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
  document.addEventListener("htmx:error", function () {
    announce(document.documentElement.lang === "en"
      ? "The request failed. Please try again."
      : "Die Anfrage ist fehlgeschlagen. Bitte versuchen Sie es erneut.");
  });
})();
