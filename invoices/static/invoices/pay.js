// "Pay by card": opens CloudPayments' widget with the invoice's parameters, which the
// page puts in a JSON script element (no inline handlers).
(function () {
  var button = document.getElementById("pay-by-card");
  var data = document.getElementById("widget-params");
  if (!button || !data) return;
  button.addEventListener("click", function () {
    if (typeof cp === "undefined") {
      button.nextElementSibling.hidden = false;
      return;
    }
    var params = JSON.parse(data.textContent);
    var widget = new cp.CloudPayments({ language: params.language });
    widget.pay("charge", {
      publicId: params.publicId,
      description: params.description,
      amount: Number(params.amount),
      currency: params.currency,
      invoiceId: params.invoiceId,
      accountId: params.accountId,
      email: params.email,
      // The fiscal receipt (54-ФЗ) the payment carries, when receipts are on.
      data: params.data,
      skin: "classic"
    }, {
      onSuccess: function () { window.location.reload(); },
      onFail: function () {}
    });
  });
})();
