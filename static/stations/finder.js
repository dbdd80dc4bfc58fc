// "Use my location" on the station finder: fills the hidden lat/lng fields from the
// browser's geolocation and submits. Browsers offer geolocation only on HTTPS or
// localhost, so elsewhere the button stays hidden and the town select does the job.
(function () {
  "use strict";
  var form = document.getElementById("station-finder");
  var block = document.getElementById("locate-block");
  if (!form || !block || !window.isSecureContext || !("geolocation" in navigator)) return;
  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  block.classList.remove("d-none");

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = button.getAttribute("data-locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        // Five decimals are about a metre: enough to sort by distance.
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lng.value = position.coords.longitude.toFixed(5);
        form.submit();
      },
      function () {
        button.disabled = false;
        status.textContent = button.getAttribute("data-failed");
        form.elements.area.focus();
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
    );
  });
})();
