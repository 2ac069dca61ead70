"""Packages built in the test: a multi-AU cmi5 course and small SCORM courses of slides.

The content is a few lines of JavaScript doing what authoring tools' output does: the
cmi5 AUs read their launch URL, call the fetch URL, read LMS.LaunchData and post
statements to the LRS with fetch() (cmi5 §8.1, §8.2, §10), and send ``terminated`` as
the page goes away; the SCOs initialise the SCORM API, keep their slide in the location,
and suspend and terminate when unloaded (as Storyline and Rise do).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

CMI5_COURSE = "https://example.org/kompetens-tests/eight-aus"


@dataclass(frozen=True)
class Au:
    """One AU: its moveOn, an optional masteryScore, and what it reports once loaded.

    ``report``: the verbs it sends after ``initialized``, ``passed:0.8`` with a score.
    """

    name: str
    move_on: str
    report: tuple[str, ...]
    mastery: float | None = None

    @property
    def id(self) -> str:
        return f"{CMI5_COURSE}/{self.name}"


# The course of the issue: mostly CompletedOrPassed, an AU that passes without a score
# first, a quiz (CompletedAndPassed) last; and the other moveOn values among them.
EIGHT_AUS = (
    Au("au1", "CompletedOrPassed", ("completed", "passed")),
    Au("au2", "Completed", ("completed",)),
    Au("au3", "CompletedOrPassed", ("completed",)),
    Au("au4", "Passed", ("passed:0.8",), mastery=0.5),
    Au("au5", "NotApplicable", ()),
    Au("au6", "CompletedOrPassed", ("passed",)),
    Au("au7", "Completed", ("completed",)),
    Au("au8", "CompletedAndPassed", ("completed", "passed:1.0"), mastery=0.8),
)
# The assessed AUs' scores: au4 (moveOn Passed) and the quiz au8 (player/outcome.py).
EIGHT_AUS_SCORE = 0.9

AU_JS = """/* A test AU (tests/player/builds.py). */
(function () {
  "use strict";
  var q = new URLSearchParams(window.location.search);
  var endpoint = q.get("endpoint"), activityId = q.get("activityId");
  var actor = JSON.parse(q.get("actor"));
  var report = (document.documentElement.getAttribute("data-report") || "")
    .split(" ").filter(Boolean);
  var auth = null, context = null, started = Date.now();
  var state = document.getElementById("state");
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) {
      return (x + 256).toString(16).slice(1);
    }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function duration() { return "PT" + ((Date.now() - started) / 1000).toFixed(2) + "S"; }
  function send(verb, result, keepalive) {
    var ctx = JSON.parse(JSON.stringify(context));
    if (result && (result.success !== undefined || result.completion !== undefined)) {
      ctx.contextActivities.category.push({ id: MOVEON });
    }
    var statement = {
      id: uuid(), actor: actor, timestamp: new Date().toISOString(), context: ctx,
      verb: { id: "http://adlnet.gov/expapi/verbs/" + verb, display: { "en-US": verb } },
      object: { objectType: "Activity", id: activityId }
    };
    if (result) { statement.result = result; }
    return fetch(endpoint + "statements", {
      method: "POST", keepalive: !!keepalive, body: JSON.stringify(statement),
      headers: { "Authorization": auth, "Content-Type": "application/json",
                 "X-Experience-API-Version": "1.0.3" }
    }).then(function (r) { if (!r.ok) { throw new Error(verb + " " + r.status); } });
  }
  fetch(q.get("fetch"), { method: "POST" }).then(function (r) { return r.json(); })
    .then(function (answer) {
      auth = "Basic " + answer["auth-token"];
      var query = new URLSearchParams({ stateId: "LMS.LaunchData", activityId: activityId,
        agent: JSON.stringify(actor), registration: q.get("registration") });
      return fetch(endpoint + "activities/state?" + query, {
        headers: { "Authorization": auth, "X-Experience-API-Version": "1.0.3" } });
    })
    .then(function (r) { return r.json(); })
    .then(function (launchData) {
      context = launchData.contextTemplate;
      return send("initialized");
    })
    .then(function () {
      return report.reduce(function (done, item) {
        return done.then(function () {
          var verb = item.split(":")[0], score = item.split(":")[1];
          var result = { duration: duration() };
          if (verb === "completed") { result.completion = true; }
          if (verb === "passed" || verb === "failed") { result.success = verb === "passed"; }
          if (score) { result.score = { scaled: Number(score) }; }
          return send(verb, result);
        });
      }, Promise.resolve());
    })
    .then(function () { state.textContent = "reported"; window.auReported = true; },
          function (error) { state.textContent = "failed: " + error; });
  // The player's Next unloads the AU: it ends its session as it goes (cmi5 §9.3.8).
  window.addEventListener("pagehide", function () {
    if (auth && context) { send("terminated", { duration: duration() }, true); }
  });
})();
"""

AU_HTML = """<!doctype html><html lang="en" data-report="{report}"><head><meta charset="utf-8">
<title>{title}</title></head><body><h1>{title}</h1><p id="state">starting</p>
<script src="au.js"></script></body></html>"""


def _au_xml(au: Au) -> str:
    mastery = f' masteryScore="{au.mastery}"' if au.mastery is not None else ""
    return (
        f'<au id="{au.id}" moveOn="{au.move_on}"{mastery}>'
        f'<title><langstring lang="en-US">AU {au.name}</langstring></title>'
        f'<description><langstring lang="en-US">{au.name}</langstring></description>'
        f"<url>{au.name}.html</url></au>"
    )


def cmi5_zip(aus: tuple[Au, ...] = EIGHT_AUS, title: str = "Eight AUs") -> bytes:
    """A cmi5 course of two blocks of AUs (the first half, the second half)."""
    half = (len(aus) + 1) // 2
    blocks = "".join(
        f'<block id="{CMI5_COURSE}/block{n}">'
        f'<title><langstring lang="en-US">Block {n}</langstring></title>'
        f'<description><langstring lang="en-US">Part {n}</langstring></description>'
        + "".join(_au_xml(au) for au in part)
        + "</block>"
        for n, part in ((1, aus[:half]), (2, aus[half:]))
        if part
    )
    structure = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
        f'<course id="{CMI5_COURSE}"><title><langstring lang="en-US">{title}</langstring></title>'
        '<description><langstring lang="en-US">A course built in the test</langstring>'
        f"</description></course>{blocks}</courseStructure>"
    )
    entries = {"cmi5.xml": structure, "au.js": AU_JS}
    for au in aus:
        entries[f"{au.name}.html"] = AU_HTML.format(report=" ".join(au.report), title=au.name)
    return _zip(entries)


SLIDES_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body><h1 id="slide">Slide 1 of 7</h1><button id="next-slide">Next slide</button>
<script>
(function () {{
  "use strict";
  var v12 = {v12};
  var api = null;
  for (var win = window.parent, n = 0; win && n < 10; n++) {{
    api = v12 ? win.API : win.API_1484_11;
    if (api || win.parent === win) {{ break; }}
    win = win.parent;
  }}
  function get(name) {{ return v12 ? api.LMSGetValue(name) : api.GetValue(name); }}
  function set(name, value) {{
    return v12 ? api.LMSSetValue(name, value) : api.SetValue(name, value);
  }}
  function commit() {{ return v12 ? api.LMSCommit("") : api.Commit(""); }}
  var where = v12 ? "cmi.core.lesson_location" : "cmi.location";
  if (v12) {{ api.LMSInitialize(""); }} else {{ api.Initialize(""); }}
  var slide = Number(get(where) || "1");
  function show() {{ document.getElementById("slide").textContent = "Slide " + slide + " of 7"; }}
  show();
  if (v12) {{ if (slide < 7) {{ set("cmi.core.lesson_status", "incomplete"); }} }}
  else {{ set("cmi.completion_status", slide >= 7 ? "completed" : "incomplete"); }}
  window.slide = function () {{ return slide; }};
  document.getElementById("next-slide").addEventListener("click", function () {{
    slide = Math.min(7, slide + 1);
    set(where, String(slide));
    if (slide === 7) {{
      set(v12 ? "cmi.core.lesson_status" : "cmi.completion_status", "completed");
    }}
    commit();
    show();
  }});
  var ended = false;
  // Unloaded (the player's Save and exit, the browser's Back): suspend and terminate.
  window.addEventListener("pagehide", function () {{
    if (ended) {{ return; }}
    ended = true;
    if (v12) {{ set("cmi.core.exit", "suspend"); api.LMSFinish(""); }}
    else {{ set("cmi.exit", "suspend"); api.Terminate(""); }}
  }});
}})();
</script></body></html>"""

MANIFEST_12 = """<?xml version="1.0"?>
<manifest identifier="slides" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1"><organization identifier="org1"><title>{title}</title>
{items}
  </organization></organizations>
  <resources>
{resources}
  </resources>
</manifest>"""

MANIFEST_2004 = """<?xml version="1.0"?>
<manifest identifier="slides" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="org1"><organization identifier="org1"><title>{title}</title>
{items}
  <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
  </organization></organizations>
  <resources>
{resources}
  </resources>
</manifest>"""


def slides_zip(version: str, scos: int = 1, title: str = "Slides") -> bytes:
    """A SCORM course (``"1.2"`` or ``"2004"``) of ``scos`` SCOs of seven slides each."""
    items = "\n".join(
        f'<item identifier="item{n}" identifierref="res{n}"><title>Part {n}</title></item>'
        for n in range(1, scos + 1)
    )
    kind = 'adlcp:scormtype="sco"' if version == "1.2" else 'adlcp:scormType="sco"'
    resources = "\n".join(
        f'<resource identifier="res{n}" type="webcontent" {kind} href="sco{n}.html">'
        f'<file href="sco{n}.html"/></resource>'
        for n in range(1, scos + 1)
    )
    manifest = (MANIFEST_12 if version == "1.2" else MANIFEST_2004).format(
        title=title, items=items, resources=resources
    )
    entries = {"imsmanifest.xml": manifest}
    for n in range(1, scos + 1):
        entries[f"sco{n}.html"] = SLIDES_HTML.format(
            title=f"Part {n}", v12="true" if version == "1.2" else "false"
        )
    return _zip(entries)


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()
