// Suggestions for each part of a comma-separated field (input[data-comma-list] with a <datalist>): a browser
// matches a datalist against the whole value, so after "Mathematics, " the options are rewritten to begin
// with what is already typed ("Mathematics, Physics"), and choosing one keeps the earlier parts.
(function () {
  "use strict";

  function refresh(input) {
    var list = input.list;
    if (!list) {
      return;
    }
    var value = input.value;
    var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf("،"));
    var before = cut === -1 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " ");
    for (var i = 0; i < list.options.length; i += 1) {
      var option = list.options[i];
      var name = option.getAttribute("data-name");
      if (name === null) {
        name = option.value;
        option.setAttribute("data-name", name);
      }
      option.value = before + name;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-comma-list]");
    for (var i = 0; i < inputs.length; i += 1) {
      inputs[i].addEventListener("input", function (event) {
        refresh(event.target);
      });
      refresh(inputs[i]);
    }
  });
})();
