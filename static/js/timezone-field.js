// Presets empty time zone fields (input[data-browser-timezone]) with the zone
// the browser reports. Chromium reports ICU's old names (Asia/Katmandu), so
// the name is looked up in the field's <datalist>, whose options list their
// old names in data-aliases; a zone the list doesn't know is left for the
// person to choose.
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function listedName(input, zone) {
    var list = input.list;
    if (!list) {
      return zone;
    }
    for (var i = 0; i < list.options.length; i += 1) {
      var option = list.options[i];
      var aliases = (option.getAttribute("data-aliases") || "").split(" ");
      if (option.value === zone || aliases.indexOf(zone) !== -1) {
        return option.value;
      }
    }
    return "";
  }

  function preset(root) {
    var zone = browserZone();
    if (!zone) {
      return;
    }
    var inputs = root.querySelectorAll("input[data-browser-timezone]");
    for (var i = 0; i < inputs.length; i += 1) {
      // Never overwrite what the person typed or the server sent back.
      if (!inputs[i].value) {
        inputs[i].value = listedName(inputs[i], zone);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { preset(document); });
  } else {
    preset(document);
  }
  // Forms that htmx swaps in later get the same treatment.
  document.addEventListener("htmx:load", function (event) { preset(event.target); });
})();
