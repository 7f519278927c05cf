// Small progressive enhancements; every page works without this file.
"use strict";
(function () {
  function messageFor(input) {
    var label = document.querySelector('label[for="' + input.id + '"]');
    var name = label ? label.textContent.trim() : "This field";
    if (input.validity.valueMissing) return "Enter " + name.charAt(0).toLowerCase() + name.slice(1) + ".";
    if (input.validity.typeMismatch && input.type === "email") return "Enter an email address like name@example.org.";
    if (input.validity.tooShort) return "Use at least " + input.minLength + " characters.";
    return input.validationMessage;
  }
  function show(input) {
    var field = input.closest(".field");
    if (!field) return true;
    var id = input.id + "-error";
    var existing = document.getElementById(id);
    // The server's message is the truth about what was sent: it stays until the next
    // submit, whatever the browser thinks of the value now.
    if (existing && !existing.dataset.client) return true;
    if (input.checkValidity()) {
      if (existing && existing.dataset.client) { existing.remove(); existing = null; }
      field.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      describe(input, existing ? id : null);
      return true;
    }
    if (!existing) {
      existing = document.createElement("p");
      existing.className = "error";
      existing.id = id;
      existing.dataset.client = "1";
      existing.setAttribute("role", "alert");
      input.parentNode.insertBefore(existing, input);
    }
    existing.textContent = messageFor(input);
    field.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    describe(input, id);
    return false;
  }
  // The field's message (if any) and its hint are both read out with it.
  function describe(input, errorId) {
    var hint = document.getElementById(input.id + "-hint");
    var ids = [errorId, hint && hint.id].filter(Boolean);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  var focused = false;
  document.querySelectorAll("form[data-validate]").forEach(function (form) {
    // After the server's answer, the first field to fix has the focus.
    var wrong = form.querySelector("[aria-invalid='true']");
    if (wrong && !focused) { wrong.focus(); focused = true; }
    form.querySelectorAll("input").forEach(function (input) {
      input.addEventListener("blur", function () { if (input.value !== "") show(input); });
      // A field already marked wrong is re-checked as it is corrected, so its message goes
      // while typing: removed on the way to the submit button instead, it would shift the
      // button from under the pointer and the click would be lost.
      input.addEventListener("input", function () { if (input.getAttribute("aria-invalid") === "true") show(input); });
    });
    // Submitting is never stopped here: the server checks every field and answers with
    // all its problems at once (stopping at the browser's first would hide the rest).
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[required]").forEach(show);
    });
  });
})();

// Offline support (static/sw.js): register the service worker, list the saved pages on
// the offline page, and say so when a saved copy is shown without a connection.
(function () {
  if (!("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the site works without it */ });
  });
  var list = document.querySelector("[data-offline-list]");
  if (list && window.caches) {
    caches.open("circles-pages").then(function (cache) {
      return cache.keys().then(function (requests) {
        return Promise.all(requests.map(function (request) {
          return cache.match(request).then(function (response) {
            return response.text().then(function (html) {
              var doc = new DOMParser().parseFromString(html, "text/html");
              return { url: request.url, title: doc.title, saved: response.headers.get("circles-saved-at") };
            });
          });
        }));
      });
    }).then(function (pages) {
      pages.forEach(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.url;
        link.textContent = page.title || new URL(page.url).pathname;
        item.appendChild(link);
        if (page.saved) item.appendChild(document.createTextNode(" — saved " + new Date(page.saved).toLocaleString()));
        list.appendChild(item);
      });
      var none = document.getElementById("saved-none");
      if (none && pages.length) none.hidden = true;
    });
  }
  function offlineNotice() {
    var main = document.getElementById("main");
    if (!main || navigator.onLine || document.getElementById("offline-notice") || list) return;
    var note = document.createElement("p");
    note.id = "offline-notice";
    note.className = "notice";
    note.setAttribute("role", "status");
    note.textContent = "You are offline. This page was loaded earlier and may be out of date; forms need a connection.";
    main.insertBefore(note, main.firstChild);
  }
  // Copy buttons: shown only where the browser can copy; the text stays selectable anyway.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = "Copied";
      }, function () {
        source.select();
      });
    });
  });
  offlineNotice();
  window.addEventListener("offline", offlineNotice);
  window.addEventListener("online", function () {
    var note = document.getElementById("offline-notice");
    if (note) note.remove();
  });
})();
