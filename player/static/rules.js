/* Kompetens: the SCORM value rules, applied at SetValue in the runtime frame.
 *
 * The rules are not written here: the server sends them with the runtime frame
 * (player/cmi/rules.py RuleSet.for_browser, the same table player/cmi/ checks every
 * commit with), so the browser and the server cannot disagree about a value. A value
 * they refuse is refused to the SCO at SetValue with the SCORM error (406 type
 * mismatch / 407 out of range in 2004, 405 in 1.2) and never reaches the commit.
 *
 * Why a check of our own before scorm-again's instead of configuring scorm-again: its
 * patterns are constants of the library (constants/regex.ts), not settings, and differ
 * from the books per edition (it accepts any long identifier with spaces in every edition,
 * durations in weeks, years after 2038). Our check runs first; scorm-again's own checks
 * still run after it, and where they are stricter (a short_identifier's characters) the
 * SCO gets scorm-again's error and nothing is stored either. So what passes both is
 * always something the server accepts.
 */
(function (root) {
  "use strict";

  var INDEX = /\.[0-9]+(?=\.|$)/g;
  var compiled = {};

  function regex(source) {
    if (!Object.prototype.hasOwnProperty.call(compiled, source)) {
      compiled[source] = new RegExp("^(?:" + source + ")$");
    }
    return compiled[source];
  }

  // {code, message} when the value breaks the element's rule, else null (no rule: let the
  // API decide). Mirrors player/cmi/rules.py RuleSet.check.
  function check(rules, element, value) {
    if (!rules || !rules.elements || typeof element !== "string") { return null; }
    var rule = rules.elements[element.replace(INDEX, ".n")];
    if (!rule || value === undefined || value === null) { return null; }
    var text = String(value);
    if (text === "") { return null; }
    if (text.length > rule.max) {
      return { code: rules.typeCode, message: text.length + " characters is over the cap of " + rule.max };
    }
    if (!regex(rule.re).test(text)) {
      return { code: rules.typeCode, message: "not a valid value for " + element };
    }
    if (rule.low !== undefined || rule.high !== undefined) {
      var number = Number(text);
      if ((rule.low !== undefined && number < rule.low) || (rule.high !== undefined && number > rule.high)) {
        return { code: rules.rangeCode, message: text + " is out of range" };
      }
    }
    return null;
  }

  // Errors of SetValue that mean "the SCO's value was not stored" (not state errors such
  // as "not initialized"): reported to the author with the next commit.
  var VALUE_ERRORS = ["201", "351", "405", "406", "407", "408"];

  // Put the check in front of the API's setter (SetValue, or LMSSetValue for 1.2).
  // onRefused(element, value, {code, message}) hears of every refused value.
  function guard(api, name, rules, onRefused) {
    var original = api[name];
    api[name] = function (element, value) {
      var live = api.isInitialized() && !api.isTerminated();
      var refusal = live ? check(rules, element, value) : null;
      if (refusal) {
        api.throwSCORMError(element, refusal.code, refusal.message);
        if (onRefused) { onRefused(element, value, refusal); }
        return "false";
      }
      var result = original.call(api, element, value);
      var code = String(api.lastErrorCode);
      if (live && result === "false" && onRefused && VALUE_ERRORS.indexOf(code) >= 0) {
        onRefused(element, value, { code: Number(code), message: "refused by the runtime" });
      }
      return result;
    };
  }

  var exported = { check: check, guard: guard };
  if (typeof module === "object" && module.exports) {
    module.exports = exported; // node, for the tests that hold both sides to one table
  } else {
    root.KompetensRules = exported;
  }
})(this);
