// The records table: one box ticks (or unticks) every record of the page for a bulk
// review. Without JavaScript each record is ticked on its own.
(function () {
  var all = document.getElementById("tick-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll("#records-table input[name=record_id]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
  });
}());
