// "Print day list": the browser's print dialog (static/css/print.css lays the page out).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
