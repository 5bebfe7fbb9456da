// The session room (templates/rooms/room.html). htmx's sse extension appends what the live stream sends; this
// keeps one copy of each message (the writer also gets theirs in the form's answer), reopens a closed stream after
// the last message shown, lets the 4-second poll (#room-poll) run only while the stream is down, and reads new
// messages and notices into the page's live region (#announcer), as js/announce.js does on other pages.
(function () {
  "use strict";
  var streamOpen = false;

  function list() { return document.getElementById("messages"); }

  function lastId() {
    var last = 0;
    if (list()) list().querySelectorAll("li.message").forEach(function (item) {
      last = Math.max(last, parseInt(item.id.slice(8), 10) || 0);
    });
    return last;
  }

  function announce(element) {
    var announcer = document.getElementById("announcer");
    if (!announcer || !element) return;
    var text = element.textContent.replace(/\s+/g, " ").trim();
    if (!text) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function tidy() {
    var seen = {};
    if (list()) list().querySelectorAll("li.message").forEach(function (item) {
      if (seen[item.id]) item.remove(); else seen[item.id] = true;
    });
  }

  function mark(state) { if (list()) list().setAttribute("data-stream", state); }

  document.addEventListener("htmx:sseOpen", function () { streamOpen = true; mark("open"); });
  document.addEventListener("htmx:sseError", function (event) {
    streamOpen = false;
    mark("down");
    var source = event.target, url = source.getAttribute("sse-connect");
    if (url) source.setAttribute("sse-connect", url.replace(/([?&]after=)\d*/, "$1" + lastId()));
  });
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (document.getElementById("message-" + event.detail.lastEventId)) event.preventDefault();
  });
  document.addEventListener("htmx:sseMessage", function () {
    tidy();
    var newest = list() && list().lastElementChild;
    if (newest) { newest.scrollIntoView({ block: "nearest" }); announce(newest); }
    var here = document.getElementById("room-here");
    if (here && newest && newest.matches(".joined:not(.mine)")) window.htmx.trigger(here, "refresh");
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.target.id === "room-poll") event.detail.parameters.after = lastId();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "room-poll" && streamOpen) event.preventDefault();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    tidy();
    var form = document.getElementById("room-form");
    if (event.detail.target && event.detail.target.id === "room-form" && form) {
      announce(form.querySelector("[data-announce], [role=alert]"));
    }
  });
})();
