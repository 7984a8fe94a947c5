// Steps that cannot be undone ask first. Put data-confirm="…" on the form or on its submit button;
// in a form whose <select> chooses the step (a stage move), the chosen option's data-confirm wins.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var option = form.querySelector("select option:checked[data-confirm]");
  var message = (button && button.dataset.confirm) || (option && option.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
