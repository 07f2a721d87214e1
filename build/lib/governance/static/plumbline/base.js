// Behaviour every page shares. The Content-Security-Policy allows no inline handlers, so it is wired up here.
(function () {
  "use strict";
  // The organisation switcher submits as soon as another organisation is chosen (the button is for no-JS).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
