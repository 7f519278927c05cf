// Profile photo upload with a progress bar, without leaving the page. Without this file the
// same form posts normally and the page comes back with a notice.
"use strict";
(function () {
  var form = document.querySelector("form[data-photo-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.querySelector('input[type="file"]');
  var field = document.getElementById("photo-field");
  var progress = document.getElementById("photo-progress");
  var status = document.getElementById("photo-status");
  var button = form.querySelector('button[type="submit"]');
  var removeForm = document.getElementById("photo-remove");
  var maxBytes = Number(form.getAttribute("data-max-bytes")) || 0;

  function clearError() {
    var old = document.getElementById("photo-error");
    if (old) old.remove();
    field.classList.remove("invalid");
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "photo-hint");
  }

  function showError(message) {
    clearError();
    var p = document.createElement("p");
    p.className = "error";
    p.id = "photo-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    input.parentNode.insertBefore(p, input);
    field.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "photo-error photo-hint");
    status.textContent = "";
    input.focus();
  }

  function showPhoto(url) {
    var current = document.getElementById("current-photo");
    var img = document.createElement("img");
    img.className = "avatar";
    img.id = "current-photo";
    img.alt = "Your profile photo";
    img.width = 160;
    img.height = 160;
    img.src = url;
    current.replaceWith(img);
    if (removeForm) removeForm.hidden = false;
  }

  function problemMessage(body) {
    if (body && body.errors && body.errors.length) return body.errors[0].message;
    if (body && body.detail) return body.detail;
    return "The upload did not work. Try again.";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) return showError("Choose a photo to upload.");
    if (maxBytes && file.size > maxBytes) {
      return showError("This file is larger than 10 MB, the most a photo can be. Try a smaller one or resize it first.");
    }
    clearError();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    progress.value = 0;
    progress.textContent = "0%";
    progress.hidden = false;
    button.disabled = true;
    status.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      progress.value = pct;
      progress.textContent = pct + "%";
      if (pct === 100) status.textContent = "Processing…";
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
      progress.hidden = true;
      button.disabled = false;
      if (xhr.status >= 200 && xhr.status < 300 && body && body.photo_url) {
        showPhoto(body.photo_url);
        form.reset();
        status.textContent = body.message || "Your photo is updated.";
      } else {
        showError(problemMessage(body));
      }
    });
    xhr.addEventListener("error", function () {
      progress.hidden = true;
      button.disabled = false;
      showError("The upload was interrupted. Check your connection and try again.");
    });
    xhr.send(new FormData(form));
  });
})();
