/* Kompetens runtime frame (on CONTENT_ORIGIN; player/views.py describes the layers).
 *
 * Holds a fresh scorm-again API object per SCO launch (window.API for SCORM 1.2,
 * window.API_1484_11 for 2004: found by the content, in the frame below, through the
 * standard parent/opener discovery), sends commits to the runtime endpoints with the
 * attempt's launch token and a (session, seq) pair, and carries out navigation through
 * the server, which owns sequencing. Its document holds the content frame and nothing
 * else: the contents, buttons and texts are in the player page above, another origin,
 * which this frame talks to by postMessage only (player.js lists the messages).
 *
 * Commits: synchronous XHR (the SCORM API is synchronous, and a Terminate must be stored
 * before navigation is processed), kept and sent again until stored when that fails
 * (saving.js; the page shows an alert meanwhile); on pagehide the last state goes by
 * navigator.sendBeacon as text/plain, which the server accepts. Values the rules refuse
 * (rules.js, the server's own table) are refused at SetValue and reported to the author.
 * When another window launches the course, the server answers 409 "taken-over": this
 * frame stops saving, unloads the content and the page says why (player/ownership.py).
 */
(function () {
  "use strict";

  var cfgEl = document.getElementById("runtime-config");
  var cfg = JSON.parse(cfgEl.textContent);
  cfgEl.parentNode.removeChild(cfgEl);
  if (window.parent === window) {
    // Opened on its own (an old link, a cmi5 window coming back): go to the player page.
    window.location.replace(cfg.page + (cfg.returned ? "?returned=1" : ""));
    return;
  }
  var frame = document.getElementById("content");
  var OWNER_CHECK_MS = 30000;
  var state = {
    api: null, sco: null, session: 0, lastSeq: 0, running: false, request: null,
    unloading: false, busy: false, kind: cfg.kind, launched: false, takenOver: false,
    refused: []
  };
  var shown = { valid: {}, toc: null, end: null, saving: null };
  var saver = null;
  window.kompetensPlayer = state; // for tests and debugging

  function tell(kind, data) {
    data = data || {};
    data.kompetens = kind;
    window.parent.postMessage(data, cfg.ui);
  }

  function setRunning(running) {
    state.running = running;
    tell("running", { running: running });
  }

  function post(path, body, keepalive) {
    return fetch(cfg.api + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "omit",
      keepalive: !!keepalive
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) { throw json; }
        return json;
      });
    });
  }

  function show(text) { tell("status", { text: text || "" }); }

  // What the learner reads about a failed server call: one of the messages the page
  // translates (player/views.py PLAYER_MESSAGES), never the server's or the browser's own
  // English text, which goes to the console. 401: the launch token is unknown or expired.
  function failed(status, detail, fallback) {
    if (detail && window.console) { window.console.warn("Kompetens player:", detail); }
    return status === 401 ? "Your session has expired. Launch the course again." : fallback;
  }

  function navRequest() {
    if (!state.api || state.kind !== "scorm2004") { return null; }
    try { return state.api.adl.nav.request || null; } catch (e) { return null; }
  }

  // What the server answered to a stored commit: what the learner may do next, and the
  // elements it left out (the rest was stored: player/cmi_salvage.py), for developers.
  function stored(answer) {
    if (answer.valid) { setButtons(answer.valid); updateNavValid(answer.valid); }
    if (answer.toc) { markToc(answer.toc); }
    if (answer.refused && window.console) { window.console.warn("Kompetens player: left out", answer.refused); }
  }

  // The page's alert about saving: "failed" (kept, retrying), "saved" (all stored again),
  // "expired" (the launch token) or "taken-over" (another window launched the course).
  function savingState(value) {
    shown.saving = value;
    tell("saving", { state: value });
    if (value === "taken-over") { takenOver(); }
  }

  function newSaver() {
    saver = new window.KompetensSaving.Saver({
      url: cfg.api + "/commit", onState: savingState, onAnswer: stored
    });
  }

  // A value refused at SetValue (rules.js, or scorm-again's own check): the SCO got the
  // SCORM error; the course's author sees it (player/refusals.py). Every commit of the
  // session carries the list (at most 20), which the server counts once per session.
  function noteRefused(element, value, refusal) {
    var text = String(value);
    var entry = {
      element: String(element).slice(0, 255), value: text.length > 200 ? text.slice(0, 200) + "…" : text,
      code: refusal.code, message: String(refusal.message || "").slice(0, 500)
    };
    var known = state.refused.some(function (r) {
      return r.element === entry.element && r.value === entry.value && r.code === entry.code;
    });
    if (!known && state.refused.length < 20) { state.refused.push(entry); }
  }

  // IHttpService for scorm-again (settings.httpService): our commit format is
  // {sco, session, seq, terminate, closing, cmi, adl, nav, refused}. Bound to one SCO
  // session, so a late autocommit of a previous SCO's API can never be filed under the next.
  function httpService(sco, session, track) {
    return {
      processHttpRequest: function (url, params, immediate, apiLog, listeners, metadata) {
        var seq = metadata && metadata.sequence ? metadata.sequence : state.lastSeq + 1;
        if (sco === state.sco && session === state.session) {
          state.lastSeq = Math.max(state.lastSeq, seq);
        }
        var body = {
          sco: sco, session: session, seq: seq, terminate: !!immediate,
          closing: state.unloading, cmi: ownSessionTime(params && params.cmi ? params.cmi : params, track),
          adl: params && params.adl ? params.adl : undefined, nav: navRequest(),
          refused: state.refused.slice()
        };
        if (saver.stopped) { return { result: "false", errorCode: 391 }; }
        if (state.unloading) {
          var ok = navigator.sendBeacon(url, new Blob([JSON.stringify(body)], { type: "text/plain;charset=UTF-8" }));
          return { result: ok ? "true" : "false", errorCode: ok ? 0 : 391 };
        }
        var answer = saver.send(body);
        if (answer === null) {
          // Browsers refuse synchronous requests while a frame is being unloaded (the SCO
          // calls Terminate from its unload handler): send it as a keepalive fetch (kept
          // for a resend if it fails), and let navigation wait for it.
          state.pending = saver.sendLater(body);
          return { result: "true", errorCode: 0 };
        }
        return answer;
      },
      updateSettings: function () { /* nothing to keep */ }
    };
  }

  // scorm-again renders its default session_time ("PT0H0M0S" / "00:00:00") into every
  // commit. Only a value the SCO set is a reported session time; without one the server
  // counts its own wall clock (SCORM_CHECKS.md §3.3), so the default is left out.
  function ownSessionTime(cmi, track) {
    if (!cmi || track.sessionTimeSet) { return cmi; }
    var copy = JSON.parse(JSON.stringify(cmi));
    if (copy.core) { delete copy.core.session_time; } else { delete copy.session_time; }
    return copy;
  }

  function navValid(valid) {
    valid = valid || {};
    return { "continue": valid["continue"] ? "true" : "false", previous: valid.previous ? "true" : "false" };
  }

  // Keep adl.nav.request_valid current while the SCO runs (it is read-only to the SCO, so
  // scorm-again's own fields are written).
  function updateNavValid(valid) {
    if (!state.api || state.kind !== "scorm2004" || !valid) { return; }
    try {
      var target = state.api.adl.nav.request_valid;
      var flags = navValid(valid);
      target._continue = flags["continue"];
      target._previous = flags.previous;
    } catch (e) { /* not fatal: the page's own buttons are current */ }
  }

  // adl.data (SCORM 2004 4th ed. shared data): the SCO's maps and the stores it may read,
  // as the server sent them (player/runtime.py _adl_data); scorm-again answers GetValue and
  // SetValue with the RTE's errors, and its commits carry the stores under "adl".
  function sharedData(api, entries) {
    if (!entries || !entries.length) { return; }
    var stores = {};
    api.adl.configureSharedDataMaps(entries.map(function (entry) {
      if (typeof entry.store === "string") { stores[entry.id] = entry.store; }
      return { targetID: entry.id, readSharedData: !!entry.read, writeSharedData: !!entry.write };
    }));
    api.restoreSharedDataSnapshot(stores);
  }

  function newApi(launch, valid) {
    var track = { sessionTimeSet: false };
    state.track = track;
    var settings = {
      lmsCommitUrl: cfg.api + "/commit",
      autocommit: true,
      autocommitSeconds: cfg.autocommitSeconds || 10,
      dataCommitFormat: "json",
      sendFullCommit: true,
      mastery_override: true,
      logLevel: 5,
      httpService: httpService(launch.sco, launch.session, track)
    };
    var api;
    state.refused = [];
    if (state.kind === "scorm12") {
      api = new window.Scorm12API(settings);
      api.loadFromJSON(launch.cmi.cmi || launch.cmi, "");
      window.API = api;
      api.on("LMSFinish", afterTerminate);
    } else {
      api = new window.Scorm2004API(settings);
      // adl.nav.request_valid.* (RTE §4.4.3) as the server's sequencer sees them now.
      api.loadFromJSON({ cmi: launch.cmi, adl: { nav: { request_valid: navValid(valid) } } }, "");
      sharedData(api, launch.adl_data);
      window.API_1484_11 = api;
      api.on("Terminate", afterTerminate);
    }
    if (window.KompetensRules && cfg.rules) {
      window.KompetensRules.guard(api, state.kind === "scorm12" ? "LMSSetValue" : "SetValue", cfg.rules, noteRefused);
    }
    api.on("LMSSetValue.cmi.core.session_time", function () { track.sessionTimeSet = true; });
    api.on("SetValue.cmi.session_time", function () { track.sessionTimeSet = true; });
    api.on("LMSInitialize", function () { setRunning(true); });
    api.on("Initialize", function () { setRunning(true); });
    return api;
  }

  function markToc(toc) {
    if (!toc) { return; }
    shown.toc = toc;
    tell("toc", { toc: toc, sco: state.sco });
  }

  function setButtons(valid) {
    shown.valid = valid || {};
    tell("valid", { valid: shown.valid });
  }

  // The content frame moves without a history entry of its own (location.replace, not
  // src): the browser's Back then leaves the player for the page before it, instead of
  // stepping through the frame's SCOs and blank pages.
  function load(url) {
    try {
      frame.contentWindow.location.replace(url);
    } catch (e) {
      frame.src = url;
    }
  }

  function finish(result) {
    state.sco = null;
    setRunning(false);
    load("about:blank");
    shown.end = { message: result.message || "You have left the course.", closed: !!result.closed };
    setButtons({});
    if (result.toc) { shown.toc = result.toc; }
    tell("end", { message: shown.end.message, closed: shown.end.closed, toc: result.toc || null });
  }

  function launch(result) {
    markToc(result.toc);
    setButtons(result.valid);
    if (result.action !== "launch") { finish(result); return; }
    var info = result.launch;
    shown.end = null;
    state.sco = info.sco;
    state.session = info.session;
    state.lastSeq = 0;
    state.launched = true;
    setRunning(false);
    tell("launch", { sco: info.sco });
    markToc(result.toc);
    if (state.kind === "scorm12" || state.kind === "scorm2004") {
      state.api = info.api ? newApi(info, result.valid) : null;
    }
    if (info.window === "own") {
      // An AU for a window of its own: the page (the top window) goes there.
      tell("open", { url: info.url });
      return;
    }
    load(info.url);
    show("");
  }

  function isTakenOver(error) {
    var errors = error && error.errors;
    return error && error.status === 409 && errors && errors.length && errors[0].reason === "taken-over";
  }

  // Navigation waits until every commit is stored (a Terminate before what follows it).
  function navigate(request, target) {
    if (state.busy || state.takenOver) { return Promise.resolve(); }
    state.busy = true;
    return saver.drained().then(function () {
      return post("/navigate", { request: request, target: target || null, sco: state.sco, session: state.session });
    }).then(launch, function (error) {
      error = error || {};
      if (isTakenOver(error)) { savingState("taken-over"); return; }
      if (error.status === 401) { savingState("expired"); }
      show(failed(error.status, error.message, "Navigation failed"));
    }).then(function () { state.busy = false; }, function () { state.busy = false; });
  }

  // Another window launched the course: stop here, unload the content, tell the page.
  // The page's Continue (a "start") takes the attempt back (player/ownership.py).
  function takenOver() {
    if (state.takenOver) { return; }
    state.takenOver = true;
    if (saver) { saver.stop("taken-over"); }
    state.sco = null;
    state.busy = false;
    setRunning(false);
    frame.src = "about:blank";
    shown.end = { message: "Continue in the other window, or choose Continue to work here.", closed: false };
    setButtons({});
    tell("end", { message: shown.end.message, closed: false, toc: shown.toc });
  }

  function resumeHere() {
    state.takenOver = false;
    newSaver();
    savingState("saved");
    navigate("start", null);
  }

  // Does this launch still own the attempt? Asked when the page is shown again and now
  // and then while it is visible (a cmi5 AU makes no runtime calls of its own).
  function checkOwner() {
    if (state.takenOver || !state.launched || document.visibilityState !== "visible") { return; }
    fetch(cfg.api + "/owner", { credentials: "omit", cache: "no-store" }).then(function (response) {
      if (response.status === 401) { savingState("expired"); return; }
      if (response.status !== 409) { return; }
      return response.json().then(function (body) {
        body.status = 409;
        if (isTakenOver(body)) { savingState("taken-over"); }
      });
    }).catch(function () { /* offline: the next commit will tell */ });
  }
  document.addEventListener("visibilitychange", checkOwner);
  window.setInterval(checkOwner, OWNER_CHECK_MS);

  function afterTerminate() {
    setRunning(false);
    var request = state.request || navRequest() || "_none_";
    var target = state.target;
    state.request = null;
    state.target = null;
    if (state.unloading) { return; }
    // Let the API finish its own Terminate (and a commit still in flight) first.
    var pending = state.pending || Promise.resolve();
    state.pending = null;
    window.setTimeout(function () {
      pending.then(function () { navigate(request, target); });
    }, 0);
  }

  // A cmi5 AU in our frame exited to its returnURL (views.returned): leave it.
  function returned() {
    window.setTimeout(function () {
      load("about:blank");
      navigate("returned");
    }, 0);
  }

  // Learner navigation: ask the running SCO to end (unload its frame), then navigate.
  function request(req, target) {
    if (state.takenOver) {
      if (req === "start") { resumeHere(); }
      return;
    }
    if (state.busy) { return; }
    if (state.api && state.running) {
      state.request = req;
      state.target = target;
      var onBlank = function () {
        frame.removeEventListener("load", onBlank);
        if (state.running && state.api) {
          // The content did not terminate when unloaded: the LMS ends the session.
          if (state.kind === "scorm12") { state.api.LMSFinish(""); } else { state.api.Terminate(""); }
        }
      };
      frame.addEventListener("load", onBlank);
      load("about:blank");
      return;
    }
    if (state.sco && (state.kind === "cmi5" || state.kind === "xapi")) {
      // Unload the AU first: it sends its last statements ("terminated") as it goes.
      var onUnloaded = function () {
        frame.removeEventListener("load", onUnloaded);
        navigate(req, target);
      };
      frame.addEventListener("load", onUnloaded);
      load("about:blank");
      return;
    }
    load("about:blank");
    navigate(req, target);
  }

  // Everything the page shows, again (it may have started listening after we spoke).
  function replay() {
    tell("valid", { valid: shown.valid });
    if (shown.end) {
      tell("end", { message: shown.end.message, closed: shown.end.closed, toc: shown.toc });
      return;
    }
    if (state.sco) { tell("launch", { sco: state.sco }); }
    if (shown.toc) { tell("toc", { toc: shown.toc, sco: state.sco }); }
    tell("running", { running: state.running });
    if (shown.saving) { tell("saving", { state: shown.saving }); }
  }

  // What the page may ask for: its buttons and contents, nothing else.
  var REQUESTS = ["start", "continue", "previous", "choice", "suspendAll"];

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object") { return; }
    if (event.source === window.parent && event.origin === cfg.ui) {
      // The player page: a learner's request, or a hello after it started listening.
      if (data.kompetens === "hello") { replay(); return; }
      if (data.kompetens === "navigate" && REQUESTS.indexOf(data.request) >= 0) {
        request(data.request, typeof data.target === "string" ? data.target : null);
      }
      return;
    }
    if (event.source === frame.contentWindow && event.origin === window.location.origin &&
        data.kompetens === "returned") {
      returned(); // the cmi5 return page (views.returned), in our content frame
    }
  });

  // Closing the tab or browser: store what the SCO has, and end the session on the server.
  // The beacon carries the latest full state, so commits still waiting in the queue
  // (saving failed) are covered by it; a Terminate still queued is sent as it is.
  window.addEventListener("pagehide", function () {
    if (state.takenOver || saver.stopped) { return; }
    var beacon = function (path, text) {
      navigator.sendBeacon(cfg.api + path, new Blob([text], { type: "text/plain;charset=UTF-8" }));
    };
    if (!state.sco) {
      if (saver.pending()) { beacon("/commit", saver.latest()); }
      return;
    }
    state.unloading = true;
    if (state.api && state.running) {
      var cmi = state.api.renderCommitCMI(true);
      beacon("/commit", JSON.stringify({
        sco: state.sco, session: state.session, seq: state.lastSeq, terminate: true,
        closing: true, cmi: ownSessionTime(cmi && cmi.cmi ? cmi.cmi : cmi, state.track || {}),
        adl: cmi && cmi.adl ? cmi.adl : undefined, nav: null, refused: state.refused.slice()
      }));
    } else if (saver.pending()) {
      beacon("/commit", saver.latest());
    } else if (state.kind === "cmi5" || state.kind === "xapi") {
      navigator.sendBeacon(cfg.api + "/navigate", new Blob([JSON.stringify({
        request: "close", sco: state.sco, session: state.session
      })], { type: "text/plain;charset=UTF-8" }));
    }
  });

  newSaver();
  navigate(cfg.returned ? "returned" : "start", null);
})();
