// The card payment page. Stripe.js's card Element takes the card details in the member's
// browser and turns them into a token at Stripe (the details never reach our server); the
// form then sends only that token, and our server confirms the PaymentIntent with it, so a
// declined card comes back on this page with the bank's answer. When the bank asks for
// 3-D Secure the server sends the page back in "authenticate" mode, and confirmCardPayment
// shows the bank's check; then the browser goes to our return page, which reads the
// outcome back from Stripe. Loaded only by this page, after Stripe.js.
// The membership card page uses it too, for a SetupIntent (data-setup-intent): the card is
// saved for the subscription's charges, and 3-D Secure goes through confirmCardSetup.
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
  const setup = Boolean(form.dataset.setupIntent);

  function goToReturnPage() {
    const url = new URL(form.dataset.returnUrl, window.location.href);
    if (setup) {
      url.searchParams.set('setup_intent', form.dataset.setupIntent);
    } else {
      url.searchParams.set('payment_intent', form.dataset.paymentIntent);
    }
    window.location.assign(url.toString());
  }

  async function authenticate() {
    status.textContent = 'Waiting for your bank…';
    try {
      if (setup) {
        await stripe.confirmCardSetup(form.dataset.clientSecret);
      } else {
        await stripe.confirmCardPayment(form.dataset.clientSecret);
      }
    } catch (e) {
      // The return page reads what happened from Stripe either way.
    }
    status.textContent = 'One moment…';
    goToReturnPage();
  }

  if (form.dataset.authenticate) {
    authenticate();
    return;
  }

  const card = stripe.elements().create('card');
  card.mount('#card-element');
  card.on('change', function (event) {
    status.textContent = event && event.error ? event.error.message : '';
  });
  button.disabled = false;

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    status.textContent = setup ? 'Saving your card…' : 'Paying…';
    let result;
    try {
      result = await stripe.createToken(card);
    } catch (e) {
      result = { error: { message: String(e) } };
    }
    if (!result || !result.token) {
      const error = result && result.error;
      status.textContent = (error && error.message) || 'Check the card number, expiry date and security code.';
      button.disabled = false;
      return;
    }
    form.elements.token.value = result.token.id;
    form.submit();
  });
})();
