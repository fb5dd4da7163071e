// gaffer web UI: show <time datetime> elements in the viewer's time zone.
// Pages are rendered on the server in UTC; this is the only script.
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
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
