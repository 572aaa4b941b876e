/* Conveyor workspace: notices, the board's drag and drop, and small form helpers. */
(function () {
  "use strict";

  /* Notices: close on click; successes fade by themselves, errors stay a little longer. */
  function armNotice(el) {
    if (el.dataset.armed) return;
    el.dataset.armed = "1";
    var delay = el.classList.contains("notice-error") ? 15000 : 6000;
    setTimeout(function () { el.remove(); }, delay);
  }
  function armNotices(root) {
    (root || document).querySelectorAll(".notice").forEach(armNotice);
  }
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) close.closest(".notice").remove();
  });
  function showNotice(html) {
    var box = document.getElementById("notices");
    box.insertAdjacentHTML("beforeend", html);
    armNotices(box);
  }

  /* The board: SortableJS's "end" goes up to the columns' hx-post, and htmx sends the move
     (to, from) to the card's own URL. The server answers with both columns re-rendered out
     of band, or 409 and the reason when it refuses; then the card goes back where it was. */
  var dragging = false;
  var lastMoved = null;
  var scrollLeft = 0;

  function initBoard() {
    var board = document.getElementById("board");
    if (!board || typeof Sortable === "undefined") return;
    board.querySelectorAll("ol.cards").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, {
        group: "board",
        draggable: ".card",
        filter: "details, summary, button",
        preventOnFilter: false,
        animation: 120,
        forceFallback: true,
        fallbackOnBody: true,
        delay: 150,
        delayOnTouchOnly: true,
        sort: false,
        onStart: function (event) {
          dragging = true;
          document.body.classList.add("is-dragging");
          // Show where this card can go by hand; other drops are answered with the reason.
          (event.item.dataset.targets || "").split(" ").forEach(function (stage) {
            var list = stage && board.querySelector('ol.cards[data-stage="' + stage + '"]');
            if (list) list.classList.add("is-target");
          });
        },
        onEnd: function () {
          dragging = false;
          document.body.classList.remove("is-dragging");
          board.querySelectorAll("ol.is-target").forEach(function (list) { list.classList.remove("is-target"); });
        }
      });
    });
    // A board swapped in whole keeps the sideways scroll of the one it replaced.
    var columns = board.querySelector(".columns");
    if (columns && !columns._scrolled) {
      columns._scrolled = true;
      columns.scrollLeft = scrollLeft;
    }
  }

  function snapBack(drop) {
    var reference = drop.from.children[drop.oldIndex] || null;
    drop.from.insertBefore(drop.item, reference);
  }

  /* The SortableJS event behind a request, if a dropped card made it. */
  function dropOf(detail) {
    var drop = detail.triggeringEvent || (detail.requestConfig && detail.requestConfig.triggeringEvent);
    return drop && drop.type === "end" && drop.item && drop.from && drop.to ? drop : null;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var drop = dropOf(event.detail);
    if (!drop) return;
    if (drop.from === drop.to) { event.preventDefault(); return; }  // put back where it was
    event.detail.path = event.detail.path.replace("ORDER-NUMBER", encodeURIComponent(drop.item.dataset.number));
    event.detail.parameters.to = drop.to.dataset.stage;
    event.detail.parameters.from = drop.from.dataset.stage;
    drop.item.classList.add("is-saving");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var drop = dropOf(event.detail);
    if (!drop) return;
    var status = event.detail.xhr.status;
    drop.item.classList.remove("is-saving");
    if (status >= 200 && status < 300) return;  // 200: its columns came back re-rendered
    snapBack(drop);
    if (status === 0) {
      showNotice('<div class="notice notice-error" role="alert">' +
        (document.documentElement.lang === "ru" ? "Нет связи с сервером." : "No connection to the server.") + "</div>");
    }
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    // Not under a card being dragged either: the next poll brings those columns.
    if (dragging && event.detail.target.closest("#board")) event.preventDefault();
  });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    if (event.target._sortable) event.target._sortable.destroy();  // a column swapped out
  });

  /* A "Move to…" menu left open: the board is not replaced under it (the next poll after
     it closes brings what changed). */
  function menuOpen() {
    return !!document.querySelector("#board .card details.move[open]");
  }
  /* What has the focus on the board, as it can be found again in a re-rendered board: the
     card's number and the element's place in it. */
  function focusOnBoard() {
    var el = document.activeElement;
    var card = el && el.closest && el.closest("#board .card");
    if (!card) return null;
    var where = "a";
    if (el.matches("summary")) where = "summary";
    else if (el.matches("button[value]")) where = 'button[value="' + el.value + '"]';
    return { number: card.dataset.number, where: where };
  }
  function refocus(spot) {
    var card = document.querySelector('#board .card[data-number="' + spot.number + '"]');
    if (!card) return false;
    var el = card.querySelector(spot.where) || card.querySelector("a");
    if (el && el.matches("button")) el.closest("details").open = true;
    if (el) el.focus();
    return !!el;
  }
  var boardFocus = null;

  document.addEventListener("keydown", function (event) {
    // Escape closes a card's "Move to…" menu and gives the focus back to its button.
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest(".card details.move[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
    event.preventDefault();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    // Never replace the board under a card being dragged or an open menu; a hidden tab
    // does not poll.
    var board = event.detail.elt.id === "board";
    if (board && (dragging || menuOpen() || document.visibilityState !== "visible")) event.preventDefault();
    var form = event.detail.elt.closest && event.detail.elt.closest(".card form");
    if (form) lastMoved = form.closest(".card").dataset.number;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "board") {
      var columns = event.detail.target.querySelector(".columns");
      if (columns) scrollLeft = columns.scrollLeft;
      boardFocus = focusOnBoard();
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    armNotices(document);
    initBoard();
    // "Move to…" from the keyboard: keep the focus on the card in its new column.
    if (lastMoved) {
      var card = document.querySelector('#board .card[data-number="' + lastMoved + '"] a');
      if (card) { card.focus(); lastMoved = null; }
    }
    // A board swapped in whole (its poll): the focus stays where it was.
    if (boardFocus && event.detail.target && event.detail.target.id === "board") {
      var spot = boardFocus;
      boardFocus = null;
      if (document.activeElement === document.body || !document.activeElement) refocus(spot);
    }
  });

  /* Order form: product search fills name and price; live totals. */
  function initOrderForm() {
    var form = document.querySelector("form[data-order-form]");
    if (!form) return;
    var catalogue = JSON.parse(document.getElementById("catalogue").textContent);
    var locale = document.documentElement.lang === "ru" ? "ru-RU" : "en-US";
    var fmt = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    function num(input) {
      if (!input) return 0;
      var value = parseFloat(String(input.value).replace(/\s/g, "").replace(",", "."));
      return isNaN(value) ? 0 : value;
    }
    /* An amount typed into an input: no grouping, the reader's decimal separator. */
    function plain(value) {
      var text = Number(value).toFixed(2);
      return locale === "ru-RU" ? text.replace(".", ",") : text;
    }
    function recalc() {
      var total = 0;
      form.querySelectorAll("[data-line]").forEach(function (row) {
        var del = row.querySelector("input[name$='-DELETE']");
        var amount = num(row.querySelector("input[name$='-quantity']")) * num(row.querySelector("input[name$='-price']")) - num(row.querySelector("input[name$='-discount']"));
        if (del && del.checked) amount = 0;
        row.querySelector("[data-amount]").textContent = fmt.format(amount);
        total += amount;
      });
      var method = form.querySelector("[name=delivery_method]");
      var costRow = form.querySelector("[data-delivery-cost]");
      var pickup = method && method.value === "pickup";
      if (costRow) costRow.hidden = pickup;
      var addressRow = form.querySelector("[data-delivery-address]");
      if (addressRow) addressRow.hidden = pickup;
      var delivery = pickup ? 0 : num(form.querySelector("[name=delivery_cost]"));
      form.querySelector("[data-lines-total]").textContent = fmt.format(total);
      form.querySelector("[data-order-total]").textContent = fmt.format(total + delivery);
      var scheme = form.querySelector("[name=payment_scheme]:checked");
      var prepayment = form.querySelector("[name=prepayment_amount]");
      if (scheme && prepayment) {
        if (scheme.value === "full_prepayment") { prepayment.value = plain(total + delivery); prepayment.readOnly = true; }
        else if (scheme.value === "postpayment") { prepayment.value = plain(0); prepayment.readOnly = true; }
        else prepayment.readOnly = false;
      }
    }
    form.addEventListener("input", recalc);
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name && /-product$/.test(input.name)) {
        var sku = input.value.split(" — ")[0].trim();
        var product = catalogue[sku];
        if (product) {
          input.value = sku;
          var row = input.closest("[data-line]");
          var name = row.querySelector("input[name$='-name']");
          var price = row.querySelector("input[name$='-price']");
          var qty = row.querySelector("input[name$='-quantity']");
          if (name && (!name.value || name.dataset.auto)) { name.value = product.name; name.dataset.auto = "1"; }
          if (price && (!price.value || price.dataset.auto)) { price.value = plain(product.price); price.dataset.auto = "1"; }
          if (qty && !qty.value) qty.value = "1";
        }
      }
      if (input.name && (/-name$/.test(input.name) || /-price$/.test(input.name)) && event.isTrusted) delete input.dataset.auto;
      recalc();
    });
    var add = form.querySelector("[data-add-line]");
    if (add) add.addEventListener("click", function () {
      var totalForms = form.querySelector("[name=lines-TOTAL_FORMS]");
      var index = parseInt(totalForms.value, 10);
      var template = document.getElementById("line-template").innerHTML.replace(/__prefix__/g, index);
      form.querySelector("[data-lines]").insertAdjacentHTML("beforeend", template);
      totalForms.value = index + 1;
      var rows = form.querySelectorAll("[data-line]");
      rows[rows.length - 1].querySelector("input").focus();
    });
    recalc();
  }

  /* A filter that applies itself as soon as it changes (the board's "whose orders"). */
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.form && input.hasAttribute("data-autosubmit")) input.form.requestSubmit();
  });

  /* A form that posts is sent once: a double click on "Register the payment" or "Refund"
     must not record it twice. htmx forms stay as they are (the page does not reload). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.method || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function () {  // back to a page kept in memory
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
    });
  });

  /* The buyer's requisites: what the chosen kind does not need is hidden (the stylesheet
     does it with :has; this is for browsers without it). */
  function initBuyer() {
    var buyer = document.querySelector("[data-buyer]");
    if (!buyer) return;
    function toggle() {
      var kind = buyer.querySelector("input[name='buyer-kind']:checked");
      var value = kind ? kind.value : "person";
      buyer.querySelectorAll("[data-business]").forEach(function (el) { el.hidden = value === "person"; });
      buyer.querySelectorAll("[data-company-only]").forEach(function (el) { el.hidden = value !== "company"; });
    }
    buyer.addEventListener("change", toggle);
    toggle();
  }

  document.addEventListener("DOMContentLoaded", function () {
    armNotices(document);
    initBoard();
    initOrderForm();
    initBuyer();
    // A form sent back with errors: the focus goes to their summary at the top.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
