// The answering page of a maturity factor.
// A form marked data-warn-unsaved asks before the page is left with changes not saved: choosing answers and then
// following a link (the next factor, say) discarded them without a word (issue 14). Saving the form itself does
// not ask; the browser shows its own wording, the page's banner says what it is about.
(function () {
  "use strict";
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    var banner = document.getElementById(form.getAttribute("data-warn-unsaved"));
    function changed() {
      dirty = true;
      if (banner) { banner.hidden = false; }
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to ask
    });
  });
})();

// A not-applicable reason shows only once "Not applicable" is chosen (or when it already holds a reason);
// without JavaScript it always shows.
(function () {
  "use strict";
  document.querySelectorAll("[data-na-reason-for]").forEach(function (reason) {
    var box = document.getElementById(reason.getAttribute("data-na-reason-for"));
    var field = reason.querySelector("input, textarea");
    if (!box || !field) { return; }
    var keep = field.value !== "";
    function show() { reason.hidden = !(box.checked || keep); }
    box.addEventListener("change", show);
    show();
  });
})();
