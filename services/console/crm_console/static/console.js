// Live panels: <div data-refresh="/console/...fragment"> is re-fetched every few seconds
// and swapped in place. Forms with data-confirm ask first. No framework, no build step.
(function () {
  "use strict";
  var every = parseInt(document.body.getAttribute("data-refresh-ms"), 10) || 3000;
  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    fetch(url, { credentials: "same-origin", headers: { "X-Console-Fragment": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html !== el.innerHTML) { el.innerHTML = html; el.setAttribute("data-refreshed", String(Date.now())); }
      })
      .catch(function () { /* keep the last good content; the next tick retries */ });
  }
  function start() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      setInterval(function () { if (!document.hidden) refresh(el); }, every);
    });
    document.addEventListener("submit", function (ev) {
      var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
      if (msg && !window.confirm(msg)) ev.preventDefault();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
