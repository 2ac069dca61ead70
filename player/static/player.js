/* Kompetens player page (on the portal's origin).
 *
 * Shows the contents, previous/next/exit, status and the end panel, and holds no SCORM API:
 * the course runs in the runtime frame (#runtime, on CONTENT_ORIGIN; runtime.js), which
 * owns the API, the content frame and the server calls. The two talk by postMessage only,
 * each checking the other's origin and window (player/views.py lists the layers):
 *
 *   page -> frame   {kompetens: "navigate", request, target}   a learner's request
 *                   {kompetens: "hello"}                       "tell me everything again"
 *   frame -> page   {kompetens: "launch", sco}                 a SCO/AU was launched
 *                   {kompetens: "running", running}            the SCO initialised / ended
 *                   {kompetens: "toc", toc, sco}               contents state
 *                   {kompetens: "valid", valid}                what previous/next/exit may do
 *                   {kompetens: "status", text}                a short status line
 *                   {kompetens: "end", message, closed, toc}   the session ended (end panel)
 *                   {kompetens: "saving", state}               saving failed / saved again /
 *                                                              expired / taken over (alert)
 *                   {kompetens: "open", url}                   an AU for a window of its own
 *
 * Everything the frame sends is data: text goes in with textContent, ids are matched
 * against this page's own contents, and "open" only goes to the content origin. The
 * content shares the frame's origin, so it could send these too; none of them lets it do
 * more than it can through the SCORM API or by navigating its own frame.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("player-config").textContent);
  var runtime = document.getElementById("runtime");
  var shell = document.getElementById("shell");
  var done = document.getElementById("done");
  var statusEl = document.getElementById("status");
  var messages = cfg.messages || {};
  // What the runtime frame reported, for tests and debugging (the API is not here).
  var state = { running: false, sco: null, launched: false, ended: false, saving: null };
  // What the alert says for each saving state (player/static/saving.js).
  var SAVING = {
    failed: "Your latest work is not saved yet. Keep this page open: we keep trying to save it.",
    expired: "Your session has expired. Launch the course again.",
    "taken-over": "This course is open in another window or tab, so nothing more is saved here. " +
      "What you did up to now is saved."
  };
  window.kompetensPlayer = state;

  function say(text) {
    text = typeof text === "string" ? text : "";
    return Object.prototype.hasOwnProperty.call(messages, text) ? messages[text] : text;
  }

  function show(text) { statusEl.textContent = say(text); }

  function tell(data) {
    // Dropped by the browser unless the frame holds a document of the content origin.
    runtime.contentWindow.postMessage(data, cfg.contentOrigin);
  }

  function send(request, target) {
    tell({ kompetens: "navigate", request: request, target: target || null });
  }

  function markToc(toc) {
    if (!toc || typeof toc !== "object") { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".toc-item"), function (li) {
      var id = li.getAttribute("data-id");
      var info = Object.prototype.hasOwnProperty.call(toc, id) ? toc[id] || {} : {};
      li.classList.toggle("current", id === state.sco);
      li.classList.toggle("completed", !!info.completed);
      li.classList.toggle("disabled", !!info.disabled);
    });
  }

  function setButtons(valid) {
    valid = valid && typeof valid === "object" ? valid : {};
    var hide = Array.isArray(valid.hide) ? valid.hide : [];
    // Next/Previous only where they lead to a SCO/AU ("offer", player/shell_state.py), and
    // none at all in a course of one SCO/AU (cfg.single).
    var offer = valid.offer && typeof valid.offer === "object" ? valid.offer : {};
    document.getElementById("prev-btn").disabled = !offer.previous;
    document.getElementById("next-btn").disabled = !offer["continue"];
    document.getElementById("prev-btn").hidden = !!cfg.single || hide.indexOf("previous") >= 0;
    document.getElementById("next-btn").hidden = !!cfg.single || hide.indexOf("continue") >= 0;
    document.getElementById("exit-btn").hidden = hide.indexOf("suspendAll") >= 0;
  }

  function openOwnWindow(url) {
    var target;
    try { target = new URL(url, cfg.contentOrigin); } catch (e) { return; }
    if (target.origin !== cfg.contentOrigin) { return; }
    window.location.assign(target.href);
  }

  var handlers = {
    launch: function (data) {
      state.sco = typeof data.sco === "string" ? data.sco : null;
      state.launched = true;
      state.ended = false;
      done.hidden = true;
      document.getElementById("exit-btn").disabled = false;
      show("");
    },
    running: function (data) { state.running = data.running === true; },
    toc: function (data) {
      if (typeof data.sco === "string" || data.sco === null) { state.sco = data.sco; }
      markToc(data.toc);
    },
    valid: function (data) { setButtons(data.valid); },
    status: function (data) { show(data.text); },
    end: function (data) {
      state.sco = null;
      state.running = false;
      state.ended = true;
      document.getElementById("done-text").textContent = say(data.message || "You have left the course.");
      document.getElementById("resume-btn").hidden = !!data.closed;
      // A closed attempt has nothing left to save.
      document.getElementById("exit-btn").disabled = !!data.closed;
      done.hidden = false;
      setButtons({});
      markToc(data.toc);
      show("");
    },
    open: function (data) { if (typeof data.url === "string") { openOwnWindow(data.url); } },
    saving: function (data) {
      var value = Object.prototype.hasOwnProperty.call(SAVING, data.state) ? data.state : "saved";
      var before = state.saving;
      state.saving = value;
      document.getElementById("save-alert").textContent = value === "saved" ? "" : say(SAVING[value]);
      if (value === "saved" && before === "failed") { show("Your work is saved."); }
    }
  };

  window.addEventListener("message", function (event) {
    // Only the runtime frame we made, on the origin we gave it.
    if (event.source !== runtime.contentWindow || event.origin !== cfg.contentOrigin) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.kompetens !== "string") { return; }
    if (Object.prototype.hasOwnProperty.call(handlers, data.kompetens)) {
      handlers[data.kompetens](data);
    }
  });

  // The frame may have spoken before this script listened: ask it to repeat.
  tell({ kompetens: "hello" });
  runtime.addEventListener("load", function () { tell({ kompetens: "hello" }); });

  document.getElementById("prev-btn").addEventListener("click", function () { send("previous"); });
  document.getElementById("next-btn").addEventListener("click", function () { send("continue"); });
  document.getElementById("exit-btn").addEventListener("click", function () { send("suspendAll"); });
  document.getElementById("resume-btn").addEventListener("click", function () { send("start"); });
  Array.prototype.forEach.call(document.querySelectorAll(".toc-link"), function (button) {
    button.addEventListener("click", function () {
      if (button.parentNode.classList.contains("disabled")) { return; }
      shell.classList.remove("toc-open");
      send("choice", button.getAttribute("data-id"));
    });
  });
  document.getElementById("toc-toggle").addEventListener("click", function (event) {
    var open = shell.classList.toggle("toc-open");
    event.currentTarget.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
