// Print buttons: <button data-portal-print> (no inline handlers, so the CSP allows no inline script).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-portal-print]")) {
    window.print();
  }
});
