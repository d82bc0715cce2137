// The pack screen (pack.html).
document.body.addEventListener("htmx:afterSwap", function () {
  var next = document.getElementById("scan-item") || document.getElementById("weight");
  if (next) next.focus();
});
