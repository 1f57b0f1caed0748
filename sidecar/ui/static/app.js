// howdah dashboard: live updates and focus after swaps; everything else is htmx attributes.
(function () {
  "use strict";
  // After an htmx swap, move focus to the element the server marked (a flash or an error), so
  // that keyboard and screen reader users hear what their action did.
  document.addEventListener("htmx:afterSettle", function () {
    var el = document.querySelector("[data-autofocus]");
    if (el) { el.removeAttribute("data-autofocus"); el.focus(); }
  });
  // Live updates: an element with data-live="<channel>" and data-target="<id>" follows the
  // channel through /ui/events (the sidecar's SSE of LISTEN channels, signed in by the session
  // cookie) and asks the target to refresh, at most about four times a second.
  function follow() {
    var live = document.querySelector("[data-live]");
    if (!live || !window.EventSource || !window.htmx) { return; }
    var channel = live.getAttribute("data-live"), target = live.getAttribute("data-target");
    var es = new EventSource("/ui/events?channel=" + encodeURIComponent(channel));
    var timer = null;
    function refresh() {
      if (timer) { return; }
      timer = setTimeout(function () {
        timer = null;
        var el = document.getElementById(target);
        if (el) { htmx.trigger(el, "refresh"); }
      }, 250);
    }
    es.addEventListener(channel, refresh);
    es.addEventListener("reconnected", refresh);
    es.onopen = function () { live.textContent = "Live"; live.className = "live on"; };
    es.onerror = function () { live.textContent = "Reconnecting…"; live.className = "live off"; };
    es.addEventListener("expired", function () { es.close(); live.textContent = "Sign in again for live updates"; });
    window.addEventListener("pagehide", function () { es.close(); });
  }
  // Copy buttons: data-copy holds the text (a recommendation's DDL). A <button>, so Enter and
  // Space work; the status beside it says what happened.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (!b) { return; }
    var text = b.getAttribute("data-copy"), say = b.nextElementSibling;
    function done(msg) { if (say) { say.textContent = msg; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Copied"); }, function () { done("Select the DDL above and copy it"); });
    } else {
      var t = document.createElement("textarea");
      t.value = text; t.setAttribute("readonly", ""); t.className = "vh";
      document.body.appendChild(t); t.select();
      try { done(document.execCommand("copy") ? "Copied" : "Select the DDL above and copy it"); } catch (e) { done("Select the DDL above and copy it"); }
      document.body.removeChild(t); b.focus();
    }
  });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", follow); } else { follow(); }
})();
