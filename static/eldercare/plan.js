// The plan builder's live totals: a preview of what saving the plan will store. The
// server computes the saved figures; this only mirrors its rule (basic items count
// towards the subsidy up to the cap; the rest is self-paid), in whole fen.
(function () {
  "use strict";
  var form = document.getElementById("plan-builder");
  if (!form) return;
  var totals = document.getElementById("plan-totals");
  var note = document.getElementById("plan-preview-note");
  var cap = toFen(totals.getAttribute("data-cap"));

  function toFen(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isFinite(value) && value >= 0 ? Math.round(value * 100) : 0;
  }

  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var cents = String(fen % 100);
    return sign + Math.floor(fen / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  function show(id, fen) {
    document.getElementById(id).textContent = yuan(fen);
  }

  function recompute(changed) {
    var total = 0;
    var basic = 0;
    form.querySelectorAll("tr.plan-row").forEach(function (row) {
      var qty = parseInt(row.querySelector(".plan-qty").value, 10);
      qty = isFinite(qty) && qty > 0 ? qty : 0;
      var line = qty * toFen(row.querySelector(".plan-price").value);
      row.querySelector(".plan-line").textContent = qty ? yuan(line) : "—";
      total += line;
      if (row.getAttribute("data-basic") === "1") basic += line;
    });
    var subsidy = Math.min(basic, cap);
    show("plan-total", total);
    show("plan-basic", basic);
    show("plan-subsidy", subsidy);
    show("plan-self-pay", total - subsidy);
    if (changed && note) note.hidden = false;
  }

  form.addEventListener("input", function () {
    recompute(true);
  });
  recompute(false);
})();
