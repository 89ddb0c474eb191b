// Meeting room and presenter view (docs/meetings.md): the speaker's countdown and the presenter
// view's full-screen button. The server renders the end of the speaking time as text ("Redezeit
// bis 18:42 Uhr"); this turns it into "noch 1:23", updated every second but never announced
// every second (role=timer is not a live region). When the time is up, the speaker and staff
// (the server marks them with data-text-up) hear one polite announcement in the page's status
// region. Fragments swapped by htmx (live updates, the staff buttons) are picked up on the next
// tick and at once after each swap. No inline code, no eval: it runs under script-src 'self'.
(function () {
  "use strict";
  var TIMER = "[data-speaker-timer]";
  // Each timer element -> the moment (this browser's clock) its speaking time ends. Computed
  // from the seconds left at render time, so a wrong clock on the projector's laptop is harmless.
  var deadlines = new WeakMap();
  var announced = new WeakSet();

  function clock(seconds) {
    var s = Math.abs(seconds);
    var m = Math.floor(s / 60);
    var rest = s % 60;
    return m + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function announce(message) {
    if (message && window.beteiligung && window.beteiligung.announce) {
      window.beteiligung.announce(message);
    }
  }

  function update(el) {
    if (!deadlines.has(el)) {
      var remaining = parseInt(el.getAttribute("data-remaining"), 10);
      if (isNaN(remaining)) { return; }
      deadlines.set(el, Date.now() + remaining * 1000);
      if (remaining <= 0) { announced.add(el); }  // already over when rendered: no announcement
    }
    var output = el.querySelector(".speaker-timer__countdown");
    if (!output) { return; }
    var left = Math.ceil((deadlines.get(el) - Date.now()) / 1000);
    var template = el.getAttribute(left >= 0 ? "data-text-left" : "data-text-over") || "{time}";
    var text = template.replace("{time}", clock(left));
    if (output.textContent !== text) { output.textContent = text; }
    output.hidden = false;
    el.classList.toggle("speaker-timer--over", left < 0);
    if (left <= 0 && !announced.has(el)) {
      announced.add(el);
      announce(el.getAttribute("data-text-up"));
    }
  }

  function tick() {
    document.querySelectorAll(TIMER).forEach(update);
  }

  // Presenter view: a full-screen toggle (shown only where the browser supports it).
  function initFullscreen() {
    var button = document.getElementById("presenter-fullscreen");
    if (!button || button.dataset.ready || !document.documentElement.requestFullscreen) { return; }
    button.dataset.ready = "1";
    button.hidden = false;
    function sync() {
      button.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
    }
    button.addEventListener("click", function () {
      var request = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
      if (request && request.catch) { request.catch(function () {}); }
    });
    document.addEventListener("fullscreenchange", sync);
    sync();
  }

  function init() {
    tick();
    initFullscreen();
    window.setInterval(tick, 1000);
    document.addEventListener("htmx:after:swap", tick);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
