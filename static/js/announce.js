// Screen readers hear what an htmx swap changed (issue 6). The swapped part marks its summary with
// [data-announce] (a week's dates, the number of results, a saved message); its text goes into the
// page's one polite live region, #announcer in base.html, which is never swapped itself.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var announcer = document.getElementById("announcer");
    var target = event.detail && event.detail.target;
    if (!announcer || !target) {
      return;
    }
    // After an outerHTML swap the old target is gone: look the new one up by its id.
    var root = (target.id && document.getElementById(target.id)) || target;
    var summary = root.matches("[data-announce]") ? root : root.querySelector("[data-announce]");
    if (!summary) {
      return;
    }
    var text = summary.textContent.replace(/\s+/g, " ").trim();
    // Emptied first so that the same words twice in a row are read again.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  });
})();
