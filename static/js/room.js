// The session room (templates/rooms/room.html). htmx's sse extension appends each message the live stream sends;
// this keeps one copy of each (the poster also gets theirs in the form's answer), reconnects after the last message
// shown, and lets the every-4-seconds poll (#room-poll, ?after=) run only while the stream is down.
(function () {
  "use strict";
  var streamOpen = false;

  function messages() { return document.getElementById("messages"); }

  function lastId() {
    var list = messages(), last = 0;
    if (!list) return 0;
    list.querySelectorAll("li.message").forEach(function (item) {
      var id = parseInt(item.id.slice("message-".length), 10);
      if (id > last) last = id;
    });
    return last;
  }

  function keepOneCopy() {
    var list = messages(), seen = {};
    if (!list) return;
    list.querySelectorAll("li.message").forEach(function (item) {
      if (seen[item.id]) item.remove(); else seen[item.id] = true;
    });
  }

  document.addEventListener("htmx:sseOpen", function () { streamOpen = true; });
  document.addEventListener("htmx:sseError", function (event) {
    streamOpen = false;
    // A closed stream is opened again from sse-connect: from after the last message on the page.
    var source = event.target, url = source.getAttribute("sse-connect");
    if (url) source.setAttribute("sse-connect", url.replace(/([?&]after=)\d*/, "$1" + lastId()));
  });
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (document.getElementById("message-" + event.detail.lastEventId)) event.preventDefault();
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.target.id === "room-poll") event.detail.parameters.after = lastId();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "room-poll" && streamOpen) event.preventDefault();
  });
  document.addEventListener("htmx:afterSwap", keepOneCopy);
  document.addEventListener("htmx:sseMessage", function () {
    keepOneCopy();
    var list = messages();
    if (list && list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "nearest" });
  });
})();
