// Reports the browser's time zone to the server in the `tz` cookie, which
// tutoring/i18n.select_timezone reads for visitors (signed-in people use
// their account's zone). When the page itself says it had to guess
// (<meta name="tz-fallback">: a visitor whose zone the server didn't know
// yet), the page's content (<main>) is fetched again with the cookie set and
// swapped in place: no second page load, and the stylesheets, scripts and
// header stay as they are. Without JavaScript the page says its times are in
// UTC and offers its zone picker.
(function () {
  "use strict";

  var COOKIE = "tz";
  var SWAPPED_KEY = "tz-swapped";
  // IANA names only: letters, digits, "/", "_", "+", "-" (also keeps the cookie well-formed).
  var ZONE_NAME = /^[A-Za-z0-9_+\-\/]{1,64}$/;

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function cookieZone() {
    var match = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
    return match ? match[1] : "";
  }

  // A node the swap leaves where it is: stylesheets and scripts (not loaded or run again), and the flashed
  // messages, which the server shows only once.
  function isKept(node) {
    return node.nodeType === 1 && (node.matches("link[rel=stylesheet], script[src]") || node.querySelector(".flashes") !== null);
  }

  function visibleText(element) {
    var text = "";
    Array.prototype.forEach.call(element.childNodes, function (node) {
      if (!isKept(node)) {
        text += node.textContent;
      }
    });
    return text.replace(/\s+/g, " ").trim();
  }

  // The new <main>'s content in place of the old one's; focus stays on the same element (by id) if it can.
  function swapMain(oldMain, newMain) {
    var focused = document.activeElement && oldMain.contains(document.activeElement) ? document.activeElement.id : "";
    Array.prototype.slice.call(oldMain.childNodes).forEach(function (node) {
      if (!isKept(node)) {
        oldMain.removeChild(node);
      }
    });
    Array.prototype.slice.call(newMain.childNodes).forEach(function (node) {
      if (!isKept(node)) {
        oldMain.appendChild(document.importNode(node, true));
      }
    });
    if (window.htmx) {
      window.htmx.process(oldMain); // the new content's hx-* attributes
    }
    var again = focused && document.getElementById(focused);
    if (again) {
      again.focus();
    }
  }

  function showInZone() {
    var main = document.getElementById("main");
    if (!main || !window.fetch || !window.DOMParser) {
      return; // the page still says its times are in UTC, and offers the zone picker
    }
    var address = window.location.href;
    window.fetch(address, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var newMain = fresh.getElementById("main");
        // Not if the visitor has moved on (an htmx link pushed another address), or the server still guessed.
        if (!newMain || window.location.href !== address || fresh.querySelector('meta[name="tz-fallback"]')) {
          return;
        }
        var fallback = document.querySelector('meta[name="tz-fallback"]');
        if (fallback) {
          fallback.parentNode.removeChild(fallback);
        }
        // A page that shows no time reads the same in any zone: left alone, with whatever was typed into it.
        if (visibleText(newMain) !== visibleText(main)) {
          swapMain(main, newMain);
        }
      })
      .catch(function () { /* the UTC page stays, and says so */ });
  }

  var zone = browserZone();
  if (!ZONE_NAME.test(zone) || cookieZone() === zone) {
    // Nothing to report; and if the server still guessed, it doesn't know
    // this zone, so asking again would not help.
    return;
  }
  var secure = window.location.protocol === "https:" ? "; secure" : "";
  document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;

  if (!document.querySelector('meta[name="tz-fallback"]') || cookieZone() !== zone) {
    return; // the page didn't guess, or cookies are off: asking again would change nothing
  }
  try {
    // Against loops: at most one swap per zone per tab.
    if (window.sessionStorage.getItem(SWAPPED_KEY) === zone) {
      return;
    }
    window.sessionStorage.setItem(SWAPPED_KEY, zone);
  } catch (error) {
    return; // storage blocked: don't risk a loop
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showInZone);
  } else {
    showInZone();
  }
})();
