// The card payment page: Stripe.js's card Element takes the card details in Stripe's own
// frame (they never reach our server), and confirmCardPayment confirms the PaymentIntent,
// with 3-D Secure when the bank asks. Then the browser goes to our return page, which
// reads the outcome back from Stripe. Loaded only by this page, after Stripe.js.
(function () {
  'use strict';
  const form = document.getElementById('card-form');
  if (!form) return;
  const status = document.getElementById('card-status');
  const button = document.getElementById('pay-button');
  if (typeof Stripe !== 'function') {
    status.textContent = 'The card form could not load. Check your connection and reload the page, or pay the organiser on site or by transfer.';
    return;
  }
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create('card');
  card.mount('#card-element');
  button.disabled = false;

  function goToReturnPage() {
    const url = new URL(form.dataset.returnUrl, window.location.href);
    url.searchParams.set('payment_intent', form.dataset.paymentIntent);
    window.location.assign(url.toString());
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    status.textContent = 'Paying…';
    let result;
    try {
      result = await stripe.confirmCardPayment(form.dataset.clientSecret, {
        payment_method: { card: card },
      });
    } catch (e) {
      result = { error: { message: String(e) } };
    }
    if (result && result.error) {
      // The return page records the failure (and offers a new attempt).
      status.textContent = (result.error.message || 'The payment did not go through.') + ' One moment…';
    } else {
      status.textContent = 'Paid. One moment…';
    }
    goToReturnPage();
  });
})();
