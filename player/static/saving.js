/* Kompetens: the runtime frame's commits, kept until the server has them.
 *
 * The SCORM API is synchronous: a commit is first sent as a synchronous request, and when
 * it is stored the SCO is told so. When it cannot be stored (no network, a 5xx, any 4xx
 * but the two below) nothing the SCO reported may be lost while the page stays open:
 * the commit is kept in a queue, the SCO is answered "true" (the runtime has taken
 * charge of its data), the learner is told (options.onState("failed")), and the queue is
 * sent again with a growing pause (1 s, 2 s, 4 s ... at most 30 s) until the server
 * answers; then options.onState("saved").
 *
 * Every commit carries the SCO's whole state (scorm-again's sendFullCommit), and the
 * server stores a session's commits in (session, seq) order and ignores an older one
 * (player/runtime.py). So a queued commit is superseded by a newer one of the same
 * session: the queue keeps the newest per session, in order, and loses nothing.
 *
 * Two answers stop saving for good: 401 (the launch token expired: onState("expired"))
 * and 409 "taken-over" (another window launched the course: onState("taken-over"),
 * player/ownership.py). What is queued then stays unsaved, and the learner is told.
 */
(function (root) {
  "use strict";

  var FIRST_PAUSE = 1000;
  var LONGEST_PAUSE = 30000;

  // What an answer means: "ok", "expired", "taken-over" or "retry".
  function verdict(status, text) {
    if (status >= 200 && status < 300) { return "ok"; }
    if (status === 401) { return "expired"; }
    if (status === 409) {
      try {
        var errors = JSON.parse(text).errors || [];
        if (errors.length && errors[0].reason === "taken-over") { return "taken-over"; }
      } catch (e) { /* not ours: retry */ }
    }
    return "retry";
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return {}; }
  }

  // options: {url, onState(state), onAnswer(answer)}
  function Saver(options) {
    this.url = options.url;
    this.onState = options.onState || function () {};
    this.onAnswer = options.onAnswer || function () {};
    this.queue = [];
    this.pause = FIRST_PAUSE;
    this.timer = null;
    this.stopped = null;
    this.sending = false;
    this.failing = false;
    this.waiting = [];
  }

  Saver.prototype.pending = function () { return this.queue.length > 0; };

  // The newest commit not yet stored (its body as a string), for the pagehide beacon.
  Saver.prototype.latest = function () {
    return this.queue.length ? this.queue[this.queue.length - 1].text : null;
  };

  // A promise kept once everything queued is stored (never, once saving stopped).
  Saver.prototype.drained = function () {
    var self = this;
    if (!this.queue.length && !this.stopped) { return Promise.resolve(); }
    return new Promise(function (resolve) { self.waiting.push(resolve); });
  };

  Saver.prototype.stop = function (reason) {
    if (this.stopped) { return; }
    this.stopped = reason;
    window.clearTimeout(this.timer);
    this.onState(reason);
  };

  Saver.prototype.keep = function (body, text) {
    // A newer commit of the same SCO session holds everything an older one did.
    this.queue = this.queue.filter(function (item) {
      return item.body.sco !== body.sco || item.body.session !== body.session || item.body.seq > body.seq;
    });
    this.queue.push({ body: body, text: text });
    if (!this.failing) {
      this.failing = true; // told once, not at every commit that waits behind it
      this.onState("failed");
    }
    if (!this.timer && !this.sending) { this.later(); }
  };

  Saver.prototype.later = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.timer = null; self.resend(); }, this.pause);
    this.pause = Math.min(this.pause * 2, LONGEST_PAUSE);
  };

  Saver.prototype.resend = function () {
    var self = this;
    if (this.stopped || !this.queue.length) { return; }
    var head = this.queue[0];
    this.sending = true;
    fetch(this.url, {
      method: "POST", body: head.text, credentials: "omit",
      headers: { "Content-Type": "application/json" }
    }).then(function (response) {
      return response.text().then(function (text) { return [response.status, text]; });
    }, function () { return [0, ""]; }).then(function (answer) {
      self.sending = false;
      var result = verdict(answer[0], answer[1]);
      if (result === "ok") {
        if (self.queue[0] === head) { self.queue.shift(); }
        self.onAnswer(parse(answer[1]));
        self.pause = FIRST_PAUSE;
        if (self.queue.length) { self.resend(); return; }
        self.failing = false;
        self.onState("saved");
        self.waiting.splice(0).forEach(function (resolve) { resolve(); });
      } else if (result === "retry") {
        self.later();
      } else {
        self.stop(result);
      }
    });
  };

  // Send one commit now (synchronously); {result, errorCode} for scorm-again.
  Saver.prototype.send = function (body) {
    var text = JSON.stringify(body);
    if (this.stopped) { return { result: "false", errorCode: 391 }; }
    if (this.queue.length) {
      // Earlier commits are still waiting: this one goes after them, in order.
      this.keep(body, text);
      return { result: "true", errorCode: 0 };
    }
    var xhr = new XMLHttpRequest();
    try {
      xhr.open("POST", this.url, false);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.send(text);
    } catch (e) {
      return null; // the browser refused a synchronous request (the frame is unloading)
    }
    var result = verdict(xhr.status, xhr.responseText);
    if (result === "ok") {
      this.onAnswer(parse(xhr.responseText));
      return { result: "true", errorCode: 0 };
    }
    if (result === "retry") {
      this.keep(body, text);
      return { result: "true", errorCode: 0 };
    }
    this.stop(result);
    return { result: "false", errorCode: 391 };
  };

  // The same commit as a keepalive fetch (while the frame unloads); queued if it fails.
  Saver.prototype.sendLater = function (body) {
    var self = this;
    var text = JSON.stringify(body);
    return fetch(this.url, {
      method: "POST", body: text, keepalive: true, credentials: "omit",
      headers: { "Content-Type": "text/plain;charset=UTF-8" }
    }).then(function (response) {
      return response.text().then(function (answer) {
        var result = verdict(response.status, answer);
        if (result === "ok") { self.onAnswer(parse(answer)); }
        else if (result === "retry") { self.keep(body, text); }
        else { self.stop(result); }
      });
    }, function () { self.keep(body, text); });
  };

  var exported = { Saver: Saver, verdict: verdict };
  if (typeof module === "object" && module.exports) {
    module.exports = exported;
  } else {
    root.KompetensSaving = exported;
  }
})(this);
