"""SCORM packages built in the test: a manifest for the edition asked for and a small SCO.

Never copies of real exports: the SCO is a page of our own whose script finds the API the
standard way (parent windows, RTE §3.3.6.1) and exposes it as ``window.sco`` for the test
to drive with ``frame.evaluate``; the values it writes are the test's, modelled on what
authoring tools write. Usable without a browser (tests/player import the builder too).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

# schemaversion per edition (CAM: "2004 3rd Edition", "2004 4th Edition"; 2nd: "CAM 1.3").
_SCHEMAVERSION = {"2nd": "CAM 1.3", "3rd": "2004 3rd Edition", "4th": "2004 4th Edition"}

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="kompetens.test.{ident}" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>{schemaversion}</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1">
      <title>{title}</title>
      <item identifier="item1" identifierref="res1"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormType="sco" href="sco.html">
      <file href="sco.html"/>
    </resource>
  </resources>
</manifest>
"""

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="kompetens.test.{ident}" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1">
      <title>{title}</title>
      <item identifier="item1" identifierref="res1"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="sco.html">
      <file href="sco.html"/>
    </resource>
  </resources>
</manifest>
"""

# The SCO: finds the API, initialises on load, and gives the test ``window.sco``.
# set() answers [result, error code] so a test sees what the SCO was told.
SCO_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>
(function () {
  var v2004 = {v2004};
  function find(win) {
    for (var n = 0; win && n < 10; n++) {
      if (v2004 && win.API_1484_11) { return win.API_1484_11; }
      if (!v2004 && win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = find(window);
  var call = v2004
    ? { init: "Initialize", set: "SetValue", get: "GetValue", commit: "Commit",
        end: "Terminate", error: "GetLastError" }
    : { init: "LMSInitialize", set: "LMSSetValue", get: "LMSGetValue", commit: "LMSCommit",
        end: "LMSFinish", error: "LMSGetLastError" };
  window.sco = {
    api: api,
    ready: false,
    set: function (name, value) {
      var result = api[call.set](name, value);
      return [result, String(api[call.error]())];
    },
    get: function (name) { return api[call.get](name); },
    commit: function () { return api[call.commit](""); },
    terminate: function () { return api[call.end](""); }
  };
  window.addEventListener("load", function () {
    api[call.init]("");
    window.sco.ready = true;
    document.getElementById("state").textContent = "running";
  });
})();
</script></head>
<body><h1>{title}</h1><p id="state">loading</p></body></html>
"""


def scorm_zip(
    *, version: str = "2004", edition: str = "4th", title: str = "Built SCO", ident: str = "sco"
) -> bytes:
    """A one-SCO SCORM package (``version`` "2004" with ``edition``, or "1.2")."""
    v2004 = version == "2004"
    if v2004:
        manifest = MANIFEST_2004.format(
            ident=ident, title=title, schemaversion=_SCHEMAVERSION[edition]
        )
    else:
        manifest = MANIFEST_12.format(ident=ident, title=title)
    sco = SCO_HTML.replace("{title}", title).replace("{v2004}", "true" if v2004 else "false")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("sco.html", sco)
    buffer.seek(0)
    return buffer.getvalue()


def import_course(app: Any, data: bytes, label: str = "built.zip") -> int:
    """Import a built package as a published course; return the course id."""
    from core.db import db
    from packages import service as packages

    with app.app_context():
        result = packages.import_package(io.BytesIO(data), published=True, label=label)
        packages.set_published(result.course, True)
        db.session.commit()
        return result.course.id


# What a Storyline 360 "SCORM 2004 2nd edition" course writes when the learner answers a
# question, leaves and comes back: spaces in an objective id (its course title), long
# compressed suspend_data, the scormdriver's time formats.
STORYLINE_ANSWER: list[tuple[str, str]] = [
    ("cmi.interactions.0.id", "Scene1_QuestionDraw01_Slide5_MultiChoice_0_0"),
    ("cmi.interactions.0.type", "choice"),
    ("cmi.interactions.0.objectives.0.id", "SL360 LMS SCORM 2004"),
    ("cmi.interactions.0.timestamp", "2026-12-06T21:31:05.0+01:00"),
    ("cmi.interactions.0.correct_responses.0.pattern", "Stockholm"),
    ("cmi.interactions.0.learner_response", "Stockholm"),
    ("cmi.interactions.0.result", "correct"),
    ("cmi.interactions.0.weighting", "1"),
    ("cmi.interactions.0.latency", "PT0H0M12.53S"),
    ("cmi.interactions.0.description", "Which city is the capital of Sweden?"),
    ("cmi.objectives.0.id", "chapter 1_Test"),
    ("cmi.objectives.0.success_status", "passed"),
    ("cmi.score.scaled", "1"),
    ("cmi.score.raw", "100"),
    ("cmi.score.min", "0"),
    ("cmi.score.max", "100"),
    ("cmi.location", "slide 5 of 7"),
    ("cmi.suspend_data", "2g4q7b0" * 6000),  # 42 000 characters, past the 4000 SPM
    ("cmi.completion_status", "incomplete"),
    ("cmi.success_status", "passed"),
    ("cmi.session_time", "PT0H1M12.53S"),
    ("cmi.exit", "suspend"),
]
