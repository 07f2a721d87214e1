// The answering page of a maturity factor.
// Answers save themselves: each question (a fieldset with data-autosave-url) posts its fields when a level or
// "Not applicable" is chosen, and shortly after typing stops in its text fields. A question whose save failed or
// is still under way keeps the page's banner up and makes leaving the page ask first: choosing answers and then
// following a link (the next factor, say) discarded them without a word (issue 14). The form's own Save button
// still works, with or without JavaScript.
(function () {
  "use strict";
  var TYPING_PAUSE_MS = 800;

  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var banner = document.getElementById(form.getAttribute("data-warn-unsaved"));
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var unsaved = new Set();
    var submitting = false;

    function refreshBanner() {
      if (banner) { banner.hidden = unsaved.size === 0; }
    }

    function say(question, text, failed) {
      var status = question.querySelector("[data-autosave-status]");
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("error", !!failed);
    }

    function showFlag(question, flagged) {
      var flag = question.querySelector(".evidence-flag");
      if (flag) { flag.hidden = !flagged; }
    }

    function chosenLevel(question) {
      var chosen = question.querySelector("input[type=radio]:checked");
      return chosen ? parseInt(chosen.value, 10) : null;
    }

    function predictFlag(question) {
      var flag = question.querySelector(".evidence-flag[data-flag-above]");
      if (!flag || flag.getAttribute("data-flag-above") === "") { return; }
      var level = chosenLevel(question);
      var na = question.querySelector("input[type=checkbox][name$='-not_applicable']");
      showFlag(question, level !== null && !(na && na.checked) &&
        level > parseInt(flag.getAttribute("data-flag-above"), 10));
    }

    function save(question) {
      var body = new FormData();
      if (token) { body.append("csrfmiddlewaretoken", token.value); }
      question.querySelectorAll("input, textarea, select").forEach(function (field) {
        if (!field.name || field.disabled) { return; }
        if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
        body.append(field.name, field.value);
      });
      say(question, "Saving…", false);
      var sent = question.getAttribute("data-edits");
      return fetch(question.getAttribute("data-autosave-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var messages = [];
            Object.keys(data.errors || {}).forEach(function (field) {
              (data.errors[field] || []).forEach(function (error) { messages.push(error.message || error); });
            });
            say(question, "Not saved: " + (messages.join(" ") || "the server refused it (" + response.status + ")."), true);
            return;
          }
          // Edited again while this save was on its way: the later save will clear it.
          if (question.getAttribute("data-edits") === sent) {
            unsaved.delete(question);
            refreshBanner();
          }
          say(question, "Saved", false);
          showFlag(question, !!data.flagged);
        });
      }).catch(function () {
        say(question, "Not saved: no connection to Plumbline. Your choices stay on this page; try again or use Save.", true);
      });
    }

    form.querySelectorAll("fieldset[data-autosave-url]").forEach(function (question) {
      var timer = null;
      function edited(immediately) {
        question.setAttribute("data-edits", String(parseInt(question.getAttribute("data-edits") || "0", 10) + 1));
        unsaved.add(question);
        refreshBanner();
        predictFlag(question);
        clearTimeout(timer);
        timer = setTimeout(function () { save(question); }, immediately ? 0 : TYPING_PAUSE_MS);
      }
      question.addEventListener("change", function (event) {
        var type = event.target.type;
        edited(type === "radio" || type === "checkbox");
      });
      question.addEventListener("input", function (event) {
        if (event.target.tagName === "TEXTAREA") { edited(false); }
      });
    });

    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (submitting || unsaved.size === 0) { return; }
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
