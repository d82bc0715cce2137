// The packing bench (pack_start.html, pack.html): the scanner's typing always lands in the
// field that wants it, on load and after every answer: the item, then the weight, then the
// next pick list, tote, slip or order.
function focusScan() {
  var next =
    document.getElementById("scan-item") ||
    document.getElementById("weight") ||
    document.getElementById("scan-code");
  if (next) next.focus();
}
focusScan();
document.body.addEventListener("htmx:afterSwap", focusScan);
