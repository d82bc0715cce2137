// Behaviour shared by every staff page. No inline scripts or handlers anywhere: the pages run
// under a Content-Security-Policy that allows scripts from this site only (docs/security.md).

// <select data-autosubmit> sends its form when the choice changes.
document.addEventListener("change", function (e) {
  if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
});
