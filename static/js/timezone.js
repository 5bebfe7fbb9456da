// Reports the browser's time zone to the server in the `tz` cookie, which
// tutoring/i18n.select_timezone reads for visitors (signed-in people use
// their account's zone). When the page itself says it had to guess
// (<meta name="tz-fallback">: a visitor whose zone the server didn't know
// yet), the page is reloaded once so its times are in the right zone.
(function () {
  "use strict";

  var COOKIE = "tz";
  var RELOADED_KEY = "tz-reloaded";
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

  var zone = browserZone();
  if (!ZONE_NAME.test(zone) || cookieZone() === zone) {
    // Nothing to report; and if the server still guessed, it doesn't know
    // this zone, so reloading would not help (and could loop).
    return;
  }
  var secure = window.location.protocol === "https:" ? "; secure" : "";
  document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;

  if (!document.querySelector('meta[name="tz-fallback"]') || cookieZone() !== zone) {
    return; // the page didn't guess, or cookies are off: a reload would change nothing
  }
  try {
    // A second guard against loops: at most one reload per zone per tab.
    if (window.sessionStorage.getItem(RELOADED_KEY) === zone) {
      return;
    }
    window.sessionStorage.setItem(RELOADED_KEY, zone);
  } catch (error) {
    return; // storage blocked: don't risk a loop
  }
  window.location.reload();
})();
