// Name pickers (governance/core/pickers.py): as one types, suggestions come from the field's lookup URL into
// its <datalist>. Without this script a typed name still works; with it nobody needs to know the exact name.
(function () {
  "use strict";
  document.querySelectorAll("input[data-lookup][list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    if (!list) { return; }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 2 || text === asked) { return; }
        asked = text;
        fetch(input.dataset.lookup + "?q=" + encodeURIComponent(text), {credentials: "same-origin"})
          .then(function (response) { return response.ok ? response.json() : {results: []}; })
          .then(function (body) {
            list.replaceChildren.apply(list, body.results.map(function (item) {
              var option = document.createElement("option");
              option.value = item.name;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience: typing a name still works */ });
      }, 200);
    });
  });
})();
