// The dashboard's live charts: the companion pushes the re-drawn panels (Server-Sent Events) each time events
// of this Studio user are committed; this swaps them in. Everything else on the page works without it.
"use strict";
(function () {
  var panels = document.getElementById("panels");
  var state = document.getElementById("live-state");
  if (!panels || !window.EventSource) {
    return;
  }
  var updates = 0;
  var source = new EventSource(panels.getAttribute("data-stream"));
  source.addEventListener("open", function () {
    document.body.setAttribute("data-live", "open");
    if (state) {
      state.textContent = "live";
    }
  });
  source.addEventListener("panels", function (event) {
    panels.innerHTML = event.data;
    updates += 1;
    panels.setAttribute("data-updates", String(updates));
  });
  source.addEventListener("error", function () {
    // EventSource reconnects by itself; on reconnect the server sends the current panels first.
    document.body.setAttribute("data-live", "reconnecting");
    if (state) {
      state.textContent = "reconnecting…";
    }
  });
})();
