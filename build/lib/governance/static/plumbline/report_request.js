// Show only the pickers the chosen report kind uses (the form works without this: the server ignores the rest).
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  if (!kind) { return; }
  var groups = document.querySelectorAll("[data-kinds]");

  function sync() {
    Array.prototype.forEach.call(groups, function (group) {
      var wanted = group.dataset.kinds.split(" ").indexOf(kind.value) !== -1;
      // Keep a group that shows an error visible, so the message is never hidden.
      group.hidden = !wanted && !group.querySelector(".field-error");
    });
  }

  kind.addEventListener("change", sync);
  sync();
})();
