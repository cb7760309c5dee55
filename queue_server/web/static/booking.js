// Progressive help on the booking form: choosing a procedure shows its guidance at once
// (the form works the same without this script, with the "show free times" button).
const form = document.querySelector("form[data-autosubmit]");
if (form) {
  for (const radio of form.querySelectorAll("input[name=procedure]")) {
    radio.addEventListener("change", () => form.requestSubmit());
  }
}
