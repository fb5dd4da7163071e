// gaffer web UI: show <time datetime> elements in the viewer's time zone.
// Pages are rendered on the server in UTC; this is the only script.
// It also reloads a page whose URL asks for it (?refresh=N).
(function () {
  "use strict";
  function localise() {
    var fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
    });
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) { return; }
      el.title = el.textContent;
      el.textContent = fmt.format(d);
      el.classList.add("local");
    });
  }
  // ?refresh=N (seconds, at least 2) reloads the page every N seconds: a
  // live view that is still a plain, shareable link.
  var refresh = parseInt(new URLSearchParams(location.search).get("refresh"), 10);
  if (refresh >= 2) {
    setTimeout(function () { location.reload(); }, refresh * 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
