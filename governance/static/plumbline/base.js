// Behaviour every page shares. The Content-Security-Policy allows no inline handlers, so it is wired up here.
(function () {
  "use strict";
  // The organisation switcher submits as soon as another organisation is chosen (the button is for no-JS).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

// A form sent back with errors: move the focus to its error summary (templates/_form_errors.html), so the reader
// hears every problem at once and can follow each link to its field.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  // Following a link focuses its control and scrolls its whole field (label included) into view.
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var control = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!control) {
      return;
    }
    event.preventDefault();
    (control.closest("[id^='div_']") || control).scrollIntoView();
    control.focus({ preventScroll: true });
  });
})();
