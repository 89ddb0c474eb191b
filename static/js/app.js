// Beteiligung's few lines of client code (KERN-07): focus after swaps (A11Y-08), the shared
// status region (A11Y-09) and busy state while a form is sent (A11Y-11). No inline handlers,
// no eval: it runs under the strict Content-Security-Policy.
(function () {
  "use strict";
  var status = function () { return document.getElementById("sr-status"); };

  // A person's own confirmation ("Sie haben … unterstützt") stays this long before a batched
  // live announcement may replace it: replacing it within milliseconds (the live echo of the
  // same action often comes right after) meant screen readers never read it.
  var OWN_MESSAGE_MS = 4000;
  var ownMessageUntil = 0;

  function announce(message, fromLive) {
    var region = status();
    if (!region || !message) { return; }
    if (!fromLive) { ownMessageUntil = Date.now() + OWN_MESSAGE_MS; }
    region.textContent = "";
    // A fresh text node after a tick is announced even when the text repeats.
    window.setTimeout(function () { region.textContent = String(message).slice(0, 150); }, 50);
  }
  window.beteiligung = { announce: announce };
  var liveTargets = new Set();  // ids of elements a live refresh is replacing right now

  document.addEventListener("bt:announce", function (event) {
    var detail = event.detail || {};
    announce(detail.message || detail.value);
  });

  function focusAfterSwap(root) {
    var scope = root && root.querySelector ? root : document;
    var target = (scope.matches && scope.matches("[data-focus-after-swap]")) ? scope
      : scope.querySelector("[data-focus-after-swap]");
    // A live refresh never takes focus (its fragments carry no focus marker, and the fallback
    // below would pull a reader's viewport to whatever changed); live code restores focus itself.
    if (!target && scope.id && liveTargets.has(scope.id)) { return; }
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
    var target = detail.target || event.target;
    focusAfterSwap(target);
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

  // ------------------------------------------------------------------------------------------
  // Live updates (docs/live-updates.md). The stream (htmx's SSE extension on #live) says which
  // live keys are stale; each element with that data-live-key re-fetches its own fragment,
  // rendered for this viewer. New comments never shift the text under a reader: while the
  // thread is on screen or a form in it is in use, a "3 neue Beiträge – anzeigen" button
  // appears instead. Announcements are batched (one every 15 s at most) and the pause control
  // stops all of it (WCAG 2.2.2); resuming fetches what changed meanwhile.
  // ------------------------------------------------------------------------------------------
  var ANNOUNCE_EVERY_MS = 15000;

  function initLive() {
    var live = document.getElementById("live");
    if (!live || live.dataset.liveReady) { return; }
    live.dataset.liveReady = "1";
    var messages = {};
    try { messages = JSON.parse(live.dataset.liveMessages || "{}"); } catch (e) { messages = {}; }
    var toggle = document.getElementById("live-toggle");
    var paused = false;
    var stale = new Set();          // keys that changed while paused
    var counts = {};                // kind -> number, for the next announcement
    var lastAnnounce = 0;
    var announceTimer = null;
    var noticeCounts = {};          // live key -> new items behind a "… anzeigen" button

    function text(kind, n) {
      var forms = messages[kind];
      if (!forms) { return ""; }
      return String(forms[n === 1 ? 0 : 1]).replace("%(num)s", n);
    }

    function flushAnnouncement() {
      var hold = ownMessageUntil - Date.now();
      if (hold > 0) { announceTimer = window.setTimeout(flushAnnouncement, hold); return; }
      announceTimer = null;
      var parts = [];
      Object.keys(counts).forEach(function (kind) {
        if (counts[kind] > 0) { parts.push(text(kind, counts[kind])); }
      });
      counts = {};
      if (parts.length) {
        lastAnnounce = Date.now();
        announce(parts.filter(Boolean).join(", ") + ".", true);
      }
    }

    function queueAnnouncement(kind) {
      if (!messages[kind]) { return; }
      counts[kind] = (counts[kind] || 0) + 1;
      if (announceTimer) { return; }
      var wait = Math.max(0, lastAnnounce + ANNOUNCE_EVERY_MS - Date.now());
      announceTimer = window.setTimeout(flushAnnouncement, Math.max(wait, 1500));
    }

    function inView(el) {
      var r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < (window.innerHeight || document.documentElement.clientHeight);
    }

    function inUse(el) {
      if (el.contains(document.activeElement) && document.activeElement !== document.body) { return true; }
      var fields = el.querySelectorAll("textarea, input[type=text]");
      for (var i = 0; i < fields.length; i++) { if (fields[i].value.trim()) { return true; } }
      return el.querySelector("details[open]") !== null;
    }

    // The control that last had focus: a swap may detach it (even the user's own htmx swap
    // racing a live refresh of the same block); focus then returns to its counterpart.
    var lastFocus = null;
    document.addEventListener("focusin", function (event) { lastFocus = event.target; });
    var CONTROLS = "button, a, input, select, textarea";

    function restoreFocus(id) {
      var lost = document.activeElement === document.body || document.activeElement === null;
      if (!lost || !lastFocus || document.contains(lastFocus)) { return; }
      var oldBlock = lastFocus.closest ? lastFocus.closest("[id='" + id + "']") : null;
      var fresh = document.getElementById(id);
      if (!oldBlock || !fresh) { return; }
      var index = Array.prototype.indexOf.call(oldBlock.querySelectorAll(CONTROLS), lastFocus);
      var again = fresh.querySelectorAll(CONTROLS);
      if (index >= 0 && again[index]) { again[index].focus(); }
    }

    function refresh(el) {
      var src = el.getAttribute("data-live-src");
      if (!src || !el.id) { return Promise.resolve(); }
      var id = el.id;
      liveTargets.add(id);
      // The element is the request's source: each block has its own request queue (without it all
      // live refreshes share the body's, which keeps one request waiting and drops the rest).
      return htmx.ajax("GET", src, { source: el, target: "#" + id, swap: "outerHTML" }).then(function () {
        // Focus is given back when a swap of this block took it away: restoreFocus acts only when
        // focus fell to the body and the last focused control was inside the replaced block. Not
        // only when this refresh started with focus inside: the person's own request (a claim)
        // may put focus into the block while the refresh is on its way, and losing it then made
        // the block look unused, so the next change replaced it instead of offering a button.
        restoreFocus(id);
      }).catch(function () {}).finally(function () {
        window.setTimeout(function () { liveTargets.delete(id); }, 0);
      });
    }

    function showNotice(el, kind) {
      var key = el.getAttribute("data-live-key");
      noticeCounts[key] = (noticeCounts[key] || 0) + 1;
      var n = noticeCounts[key];
      var button = el.querySelector(":scope > .live-notice");
      if (!button) {
        button = document.createElement("button");
        button.type = "button";
        button.className = "kern-btn kern-btn--secondary kern-btn--small live-notice";
        var heading = el.querySelector("h2");
        if (heading && heading.parentNode === el) { heading.insertAdjacentElement("afterend", button); }
        else { el.insertAdjacentElement("afterbegin", button); }
        button.addEventListener("click", function () {
          noticeCounts[key] = 0;
          refresh(el).then(function () {
            var fresh = document.querySelector("[data-live-key='" + key + "']");
            var target = fresh && (fresh.querySelector("h2") || fresh);
            if (target) {
              if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
              target.focus();
            }
          });
        });
      }
      button.innerHTML = "";
      var label = document.createElement("span");
      label.className = "kern-label";
      var noticeKind = kind === "proposal" ? "new_proposals"
        : (kind === "comment" ? "new_comments" : (messages["notice_" + kind] ? "notice_" + kind : "changed"));
      label.textContent = text(noticeKind, n);
      button.appendChild(label);
    }

    function apply(keys, kind) {
      var all = keys.indexOf("*") >= 0;
      var elements = all ? document.querySelectorAll("[data-live-key]")
        : document.querySelectorAll(keys.map(function (k) { return "[data-live-key='" + k + "']"; }).join(","));
      elements.forEach(function (el) {
        var mode = el.getAttribute("data-live-mode");
        var growing = kind === "comment" || kind === "proposal";
        if (mode === "notice" || (mode === "thread" && growing && (inView(el) || inUse(el)))) {
          if (growing) { showNotice(el, kind); return; }
          if (inUse(el)) { return; }  // never replace a form being filled in
        }
        // Someone is working in this block (a form, a claimed queue item): never replace it under
        // them, and never drop the change either: offer it behind a button.
        if (mode === "thread" && inUse(el)) { showNotice(el, kind); return; }
        refresh(el);
      });
      queueAnnouncement(kind);
    }

    function receive(keys, kind) {
      if (paused) { keys.forEach(function (k) { stale.add(k); }); return; }
      apply(keys, kind);
    }

    live.addEventListener("live", function (event) {
      var detail = event.detail || {};
      var data = {};
      try { data = JSON.parse(detail.data || "{}"); } catch (e) { return; }
      if (Array.isArray(data.keys)) { receive(data.keys, data.kind || "update"); }
    });
    live.addEventListener("reset", function () { receive(["*"], "reset"); });
    // Connection state on the element (styling, tests): set when the stream is open.
    live.addEventListener("htmx:sse:after:connection", function () { live.setAttribute("data-live-connected", ""); });
    live.addEventListener("htmx:sse:error", function () { live.removeAttribute("data-live-connected"); });

    // Actions open and close by the clock: refresh the live parts when the phase changes.
    var next = Date.parse(live.dataset.liveNextChange || "");
    if (!isNaN(next) && next - Date.now() < 24 * 3600 * 1000) {
      window.setTimeout(function () { receive(["*"], "consultation"); }, Math.max(0, next - Date.now()) + 1000);
    }

    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.setAttribute("aria-pressed", paused ? "true" : "false");
        live.classList.toggle("live-control--paused", paused);
        announce(text(paused ? "paused" : "resumed", 1));
        if (!paused && stale.size) {
          var keys = Array.from(stale);
          stale.clear();
          apply(keys, "update");
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initLive);
  } else {
    initLive();
  }
})();
