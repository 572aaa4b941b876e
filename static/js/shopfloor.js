/* The shop floor's running timers tick: each <time data-running> counts on from the
   seconds the server wrote into it, by this page's own clock (so a phone whose clock is
   off still shows the right time). Without this script the page says "running since". */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(seconds) {
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor(seconds % 3600 / 60)) + ":" + pad(seconds % 60);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-running]").forEach(function (el) {
      if (!el._seenAt) el._seenAt = now;  // an element htmx swapped in starts afresh
      var seconds = parseInt(el.dataset.elapsed, 10) + Math.floor((now - el._seenAt) / 1000);
      el.textContent = clock(seconds);
      el.setAttribute("datetime", "PT" + seconds + "S");
    });
  }

  /* A card whose order group has no tasks left (its last one done) takes the group's
     heading with it. (htmx's own events go to the card it removed, out of the page.) */
  function dropEmptyGroups() {
    document.querySelectorAll("section.sf-order").forEach(function (group) {
      if (!group.querySelector("li.sf-card")) group.remove();
    });
    // The last one done, and no page after it: say so, as the page would.
    var none = document.getElementById("sf-none");
    if (none && !tasks.querySelector("li.sf-card, .sf-next")) none.hidden = false;
  }
  var tasks = document.getElementById("tasks");
  if (tasks && window.MutationObserver) {
    new MutationObserver(dropEmptyGroups).observe(tasks, { childList: true, subtree: true });
  }

  tick();
  setInterval(tick, 1000);
})();
