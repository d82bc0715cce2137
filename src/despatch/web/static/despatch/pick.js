// The pick screen (pick.html).
// Scanner-style input: a scan types the code and presses Enter. Enter in the bin field moves
// to the item field; Enter in the item field sends both. The bin field is focused here, not by
// an autofocus attribute: htmx honours autofocus when a swap settles, which could pull the
// focus back to the bin field after a fast scanner's Enter had moved it to the item field.
var start = document.getElementById("scan-location");
if (start) start.focus();
document.body.addEventListener("keydown", function (e) {
  if (e.key !== "Enter" || !e.target.matches("#scan-location")) return;
  e.preventDefault();
  document.getElementById("scan-item").focus();
});
document.body.addEventListener("htmx:afterSwap", function () {
  var first = document.getElementById("scan-location");
  if (first) first.focus();
});
