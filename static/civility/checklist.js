// The inspection checklist on a phone: every answer is sent as soon as it is given, and
// nothing typed is lost when the connection drops. Each unsent answer (and each note
// typed before a result is chosen) is kept in localStorage until the server has it;
// pending answers are sent again when the browser comes back online and on a timer.
// The server's upsert makes a repeated send harmless. Without this script the same
// buttons post the item's form and the page comes back to the item.
(function () {
  "use strict";
  var root = document.getElementById("checklist");
  if (!root || root.getAttribute("data-editable") !== "1") return;

  var storeKey = "civility.checklist." + root.getAttribute("data-inspection");
  var answerUrl = root.getAttribute("data-answer-url");
  var NOTE_DELAY_MS = 800;
  var RETRY_FIRST_MS = 3000;
  var RETRY_MAX_MS = 30000;
  var retryDelay = RETRY_FIRST_MS;
  var retryTimer = null;
  var inFlight = {};
  var noteTimers = {};

  function text(name) {
    return root.getAttribute("data-msg-" + name) || "";
  }

  function loadDrafts() {
    try {
      var value = JSON.parse(window.localStorage.getItem(storeKey) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (e) {
      return {};
    }
  }

  var drafts = loadDrafts();

  function saveDrafts() {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify(drafts));
    } catch (e) {
      // Storage full or disabled: the answer is still sent while online.
    }
  }

  function itemFor(id) {
    return document.getElementById("c-" + id);
  }

  function csrfToken() {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(item, state) {
    item.setAttribute("data-state", state);
    item.querySelector(".save-state").textContent = text(state);
  }

  function press(item, result) {
    item.setAttribute("data-result", result || "");
    item.querySelectorAll(".answer-btn").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === result ? "true" : "false");
    });
  }

  function showErrors(item, messages) {
    var box = item.querySelector(".item-errors");
    box.textContent = "";
    (messages || []).forEach(function (message) {
      var p = document.createElement("p");
      p.className = "mb-0";
      p.textContent = message;
      box.appendChild(p);
    });
    box.hidden = !messages || !messages.length;
  }

  function showFinding(item, finding) {
    var link = item.querySelector(".finding-link");
    if (finding && finding.live) {
      link.href = finding.url;
      link.textContent = text("finding") + " " + finding.reference;
      link.hidden = false;
    } else {
      link.hidden = true;
    }
  }

  function pendingCount() {
    return Object.keys(drafts).filter(function (id) {
      return drafts[id].pending;
    }).length;
  }

  function refreshBar() {
    var answered = root.querySelectorAll(".checklist-item[data-result]:not([data-result=''])");
    document.getElementById("answered-count").textContent = String(answered.length);
    var pending = pendingCount();
    document.getElementById("pending-label").textContent = text("pending");
    document.getElementById("pending-count").textContent = String(pending);
    document.getElementById("pending-note").hidden = pending === 0;
    var finish = document.getElementById("finish-button");
    if (finish) finish.disabled = pending > 0;
  }

  function remember(id, result, note) {
    drafts[id] = { result: result || "", note: note || "", pending: !!result };
    saveDrafts();
    refreshBar();
  }

  function retryLater() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      sendAll();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function read(response) {
    if (response.type === "opaqueredirect") return { login: true };
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      if (response.status >= 500) throw new Error("server error");
      // The login page, a refused token or a page the user may no longer open.
      return { login: true };
    }
    return response.json().then(function (data) {
      return { status: response.status, data: data };
    });
  }

  function send(id) {
    var draft = drafts[id];
    if (!draft || !draft.pending || inFlight[id]) return;
    var item = itemFor(id);
    if (!item) {
      delete drafts[id];
      saveDrafts();
      return;
    }
    if (navigator.onLine === false) {
      show(item, "waiting");
      retryLater();
      return;
    }
    var sent = { result: draft.result, note: draft.note };
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("criterion", id);
    body.append("result", sent.result);
    body.append("note", sent.note);
    var photo = item.querySelector(".answer-photo");
    var withPhoto = sent.result === "fail" && photo && photo.files && photo.files.length > 0;
    if (withPhoto) body.append("photo", photo.files[0]);
    inFlight[id] = true;
    show(item, "sending");
    fetch(answerUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json" },
    })
      .then(read)
      .then(function (answer) {
        inFlight[id] = false;
        if (answer.login) {
          show(item, "login");
          refreshBar();
          return;
        }
        var current = drafts[id];
        if (answer.status === 200 && answer.data.ok) {
          if (withPhoto) photo.value = "";
          item.setAttribute("data-saved-result", answer.data.result);
          showErrors(item, []);
          showFinding(item, answer.data.finding);
          if (current && (current.result !== sent.result || current.note !== sent.note)) {
            send(id); // changed while this one was on its way
            return;
          }
          delete drafts[id];
          saveDrafts();
          retryDelay = RETRY_FIRST_MS;
          press(item, answer.data.result);
          show(item, "saved");
          refreshBar();
          return;
        }
        // Refused (e.g. the inspection was finished): say why, keep the note typed.
        delete drafts[id];
        saveDrafts();
        var errors = [];
        Object.keys(answer.data.errors || {}).forEach(function (field) {
          errors = errors.concat(answer.data.errors[field]);
        });
        showErrors(item, errors);
        press(item, item.getAttribute("data-saved-result") || "");
        show(item, "error");
        refreshBar();
      })
      .catch(function () {
        inFlight[id] = false;
        show(item, "waiting");
        refreshBar();
        retryLater();
      });
  }

  function sendAll() {
    Object.keys(drafts).forEach(send);
  }

  root.querySelectorAll(".checklist-item").forEach(function (item) {
    var id = item.getAttribute("data-criterion");
    item.setAttribute("data-saved-result", item.getAttribute("data-result") || "");
    var note = item.querySelector(".answer-note");
    item.querySelectorAll(".answer-btn").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        window.clearTimeout(noteTimers[id]);
        press(item, button.value);
        remember(id, button.value, note.value.trim());
        send(id);
      });
    });
    note.addEventListener("input", function () {
      var result = item.getAttribute("data-result") || "";
      remember(id, result, note.value.trim());
      if (!result) {
        show(item, "draft");
        return;
      }
      show(item, navigator.onLine === false ? "waiting" : "sending");
      window.clearTimeout(noteTimers[id]);
      noteTimers[id] = window.setTimeout(function () {
        send(id);
      }, NOTE_DELAY_MS);
    });
  });

  // What this phone kept from before (a reload, a crash, a dead battery).
  Object.keys(drafts).forEach(function (id) {
    var item = itemFor(id);
    var draft = drafts[id];
    if (!item) {
      delete drafts[id];
      return;
    }
    item.querySelector(".answer-note").value = draft.note || "";
    if (draft.result) {
      press(item, draft.result);
      show(item, "waiting");
    } else {
      show(item, "draft");
    }
  });
  saveDrafts();

  var finishForm = document.getElementById("finish-form");
  if (finishForm) {
    finishForm.addEventListener("submit", function (event) {
      if (pendingCount() > 0) {
        event.preventDefault();
        sendAll();
      }
    });
  }

  window.addEventListener("online", function () {
    retryDelay = RETRY_FIRST_MS;
    sendAll();
  });
  window.addEventListener("offline", function () {
    Object.keys(drafts).forEach(function (id) {
      var item = itemFor(id);
      if (item && drafts[id].pending && !inFlight[id]) show(item, "waiting");
    });
  });

  refreshBar();
  sendAll();
})();
