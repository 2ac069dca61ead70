"""The manifest parser on XML built in the test (no Flask, no database)."""

from __future__ import annotations

import pytest

from packages.manifest import parse_package
from packages.manifest.hrefs import add_parameters
from tests.packages.conftest import MANIFEST_12

NS_2004 = (
    'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
    'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
    'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" '
    'xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" '
    'xmlns:imsss="http://www.imsglobal.org/xsd/imsss"'
)


def parse(files: dict[str, str]):
    return parse_package(set(files), lambda path: files[path].encode())


def messages(result, severity="error"):
    return [p.message for p in result.report.problems if p.severity == severity]


def scorm2004(body: str, version: str = "2004 4th Edition", resources: str = "") -> str:
    return f"""<?xml version="1.0"?>
<manifest identifier="m" {NS_2004}>
  <metadata><schema>ADL SCORM</schema><schemaversion>{version}</schemaversion></metadata>
  {body}
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html"/>
    {resources}
  </resources>
</manifest>"""


def test_packages_manifest_scorm12_minimal():
    result = parse({"imsmanifest.xml": MANIFEST_12, "index.html": ""})
    assert (result.kind, result.edition, result.title) == ("scorm12", "1.2", "Fire safety")
    assert result.report.problems == []
    assert result.launch == [
        {
            "id": "i1",
            "title": "Lesson one",
            "href": "index.html",
            "type": "sco",
            "visible": True,
            "resource": "r1",
        }
    ]


@pytest.mark.parametrize(
    ("version", "edition"),
    [
        ("CAM 1.3", "2nd"),
        ("2004 3rd Edition", "3rd"),
        ("2004 4th Edition", "4th"),
        ("2004 2nd Edition", "2nd"),
    ],
)
def test_packages_manifest_edition_from_schemaversion(version, edition):
    org = (
        '<organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i" identifierref="r1"><title>I</title></item></organization>'
        "</organizations>"
    )
    result = parse({"imsmanifest.xml": scorm2004(org, version), "a.html": ""})
    assert (result.kind, result.edition) == ("scorm2004", edition)
    assert messages(result) == []


def test_packages_manifest_edition_guessed_from_namespaces():
    org = (
        '<organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i" identifierref="r1"><title>I</title></item></organization>'
        "</organizations>"
    )
    result = parse({"imsmanifest.xml": scorm2004(org, ""), "a.html": ""})
    assert (result.kind, result.edition) == ("scorm2004", "3rd")
    assert "assumed SCORM 2004 3rd Edition" in messages(result, "warning")[0]


@pytest.mark.parametrize(
    ("href", "parameters", "expected"),
    [
        ("a.html", "?x=1", "a.html?x=1"),
        ("a.html", "x=1", "a.html?x=1"),
        ("a.html?y=2", "?x=1", "a.html?y=2&x=1"),
        ("a.html?y=2", "&x=1", "a.html?y=2&x=1"),
        ("a.html", "#part2", "a.html#part2"),
        ("a.html#p1", "#part2", "a.html#p1"),
        ("a.html", None, "a.html"),
        ("a.html", "?", "a.html"),
    ],
)
def test_packages_manifest_parameters_merge(href, parameters, expected):
    assert add_parameters(href, parameters) == expected


def test_packages_manifest_xml_base_applied():
    manifest = MANIFEST_12.replace("<resources>", '<resources xml:base="content/">').replace(
        '<resource identifier="r1"', '<resource xml:base="lesson1/" identifier="r1"'
    )
    result = parse({"imsmanifest.xml": manifest, "content/lesson1/index.html": ""})
    assert messages(result) == []
    assert result.launch[0]["href"] == "content/lesson1/index.html"
    assert result.structure["resources"][0]["files"] == ["content/lesson1/index.html"]


def test_packages_manifest_scorm12_item_data():
    manifest = MANIFEST_12.replace(
        "<title>Lesson one</title>",
        """<title>Lesson one</title>
        <adlcp:prerequisites type="aicc_script">i0</adlcp:prerequisites>
        <adlcp:masteryscore>80</adlcp:masteryscore>
        <adlcp:datafromlms>level=2</adlcp:datafromlms>
        <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
        <adlcp:timelimitaction>exit,message</adlcp:timelimitaction>""",
    ).replace('identifierref="r1"', 'identifierref="r1" isvisible="false" parameters="?p=1"')
    result = parse({"imsmanifest.xml": manifest, "index.html": ""})
    item = result.structure["organizations"][0]["items"][0]
    assert item["prerequisites"] == {"type": "aicc_script", "value": "i0"}
    assert item["masteryscore"] == 80.0
    assert item["datafromlms"] == "level=2"
    assert item["maxtimeallowed"] == "00:30:00"
    assert item["timelimitaction"] == "exit,message"
    assert item["isvisible"] is False
    assert result.launch[0]["href"] == "index.html?p=1"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (('identifierref="r1"', 'identifierref="nope"'), "refers to resource 'nope'"),
        (('href="index.html">', 'href="missing.html">'), "'missing.html' is not in the package"),
        (
            ('<organization identifier="org1">', '<organization identifier="r1">'),
            "Duplicate identifier 'r1'",
        ),
        (("</resource>", '<dependency identifierref="ghost"/></resource>'), "depends on 'ghost'"),
        (("<item identifier", "<item identifier"), None),
        (('href="index.html">', 'href="../outside.html">'), "points outside the package"),
        (("manifest", "package"), "not <manifest>"),
        (("</organization>", ""), "not well-formed"),
    ],
)
def test_packages_manifest_scorm_errors(change, fragment):
    result = parse({"imsmanifest.xml": MANIFEST_12.replace(*change), "index.html": ""})
    errors = messages(result)
    if fragment is None:
        assert errors == []
    else:
        assert any(fragment in e for e in errors), errors
        assert all(p.file == "imsmanifest.xml" and p.line for p in result.report.errors)


def test_packages_manifest_case_mismatch_explained():
    result = parse({"imsmanifest.xml": MANIFEST_12, "Index.html": ""})
    assert "case-sensitive" in messages(result)[0]


def test_packages_manifest_missing_listed_file_is_warning():
    manifest = MANIFEST_12.replace(
        '<file href="index.html"/>', '<file href="index.html"/><file href="story.html"/>'
    )
    result = parse({"imsmanifest.xml": manifest, "index.html": ""})
    assert messages(result) == []
    assert "'story.html' is not in the package" in messages(result, "warning")[0]


def test_packages_manifest_undeclared_prefix_is_warning():
    manifest = MANIFEST_12.replace('xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"', "")
    result = parse({"imsmanifest.xml": manifest, "index.html": ""})
    assert messages(result) == []
    assert "Undeclared namespace" in messages(result, "warning")[0]
    assert result.launch[0]["type"] == "sco"


def test_packages_manifest_external_entities_not_expanded():
    manifest = MANIFEST_12.replace(
        '<?xml version="1.0"?>',
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace("<title>Fire safety</title>", "<title>Fire&x;</title>")
    result = parse({"imsmanifest.xml": manifest, "index.html": ""})
    assert "root:" not in result.title


def test_packages_manifest_default_org_missing_scorm12_warns_scorm2004_refuses():
    bad12 = MANIFEST_12.replace('default="org1"', 'default="nope"')
    result = parse({"imsmanifest.xml": bad12, "index.html": ""})
    assert messages(result) == []
    assert "the first organization is used" in messages(result, "warning")[0]
    org = (
        '<organizations default="nope"><organization identifier="o"><title>T</title>'
        '<item identifier="i" identifierref="r1"><title>I</title></item></organization>'
        "</organizations>"
    )
    result = parse({"imsmanifest.xml": scorm2004(org), "a.html": ""})
    assert "names no organization" in messages(result)[0]


def test_packages_manifest_sequencing_stored_in_full():
    org = """<organizations default="o"><organization identifier="o"><title>T</title>
      <item identifier="i" identifierref="r1"><title>I</title>
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
        <adlnav:presentation><adlnav:navigationInterface>
          <adlnav:hideLMSUI>continue</adlnav:hideLMSUI><adlnav:hideLMSUI>previous</adlnav:hideLMSUI>
        </adlnav:navigationInterface></adlnav:presentation>
        <imsss:sequencing IDRef="common">
          <imsss:controlMode choice="false" flow="true"/>
          <imsss:sequencingRules>
            <imsss:preConditionRule>
              <imsss:ruleConditions conditionCombination="any">
                <imsss:ruleCondition referencedObjective="obj" operator="not"
                  condition="satisfied"/>
              </imsss:ruleConditions>
              <imsss:ruleAction action="disabled"/>
            </imsss:preConditionRule>
          </imsss:sequencingRules>
          <imsss:limitConditions attemptLimit="2"/>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
            <imsss:objective objectiveID="obj">
              <imsss:mapInfo targetObjectiveID="g" readSatisfiedStatus="true"/>
            </imsss:objective>
          </imsss:objectives>
          <adlseq:objectives><adlseq:objective objectiveID="p">
            <adlseq:mapInfo targetObjectiveID="g2" writeCompletionStatus="true"/>
          </adlseq:objective></adlseq:objectives>
          <imsss:deliveryControls tracked="true" completionSetByContent="true"/>
        </imsss:sequencing>
      </item></organization></organizations>
      <imsss:sequencingCollection><imsss:sequencing ID="common">
        <imsss:rollupRules objectiveMeasureWeight="0"/>
      </imsss:sequencing></imsss:sequencingCollection>"""
    result = parse({"imsmanifest.xml": scorm2004(org), "a.html": ""})
    assert messages(result) == []
    item = result.structure["organizations"][0]["items"][0]
    seq = item["sequencing"]
    assert seq["IDRef"] == "common"
    assert seq["controlMode"] == {"choice": False, "flow": True}
    rule = seq["sequencingRules"]["preConditionRule"][0]
    assert rule["ruleAction"] == {"action": "disabled"}
    assert rule["ruleConditions"]["ruleCondition"][0]["condition"] == "satisfied"
    assert seq["limitConditions"] == {"attemptLimit": 2}
    assert seq["objectives"]["primaryObjective"]["minNormalizedMeasure"] == {"value": 0.6}
    assert seq["objectives"]["objective"][0]["mapInfo"][0]["targetObjectiveID"] == "g"
    assert seq["adlseq:objectives"]["adlseq:objective"][0]["adlseq:mapInfo"][0] == {
        "targetObjectiveID": "g2",
        "writeCompletionStatus": True,
    }
    assert seq["deliveryControls"] == {"tracked": True, "completionSetByContent": True}
    assert item["completion_threshold"] == {"completedByMeasure": True, "minProgressMeasure": 0.8}
    hide = item["presentation"]["adlnav:navigationInterface"]["adlnav:hideLMSUI"]
    assert [h["value"] for h in hide] == ["continue", "previous"]
    assert result.structure["sequencing_collection"]["common"]["rollupRules"] == {
        "objectiveMeasureWeight": 0
    }


def test_packages_manifest_sequencing_idref_must_resolve():
    org = (
        '<organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i" identifierref="r1"><title>I</title>'
        '<imsss:sequencing IDRef="ghost"/></item></organization></organizations>'
    )
    result = parse({"imsmanifest.xml": scorm2004(org), "a.html": ""})
    assert "IDRef 'ghost'" in messages(result)[0]


CMI5 = """<?xml version="1.0"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="urn:c"><title><langstring lang="en-US">Course</langstring></title>
    <description><langstring lang="en-US">About</langstring></description></course>
  <objectives>
    <objective id="urn:o1"><title><langstring>O</langstring></title></objective>
  </objectives>
  <block id="urn:b"><title><langstring lang="en-US">Block</langstring></title>
    <au id="urn:au1" moveOn="CompletedAndPassed" masteryScore="0.8" launchMethod="OwnWindow"
        activityType="http://x">
      <title><langstring lang="en-US">AU one</langstring></title>
      <objectives><objective idref="urn:o1"/></objectives>
      <url>au/index.html?x=1</url>
      <launchParameters>{"a": 1}</launchParameters>
      <entitlementKey>KEY</entitlementKey>
    </au>
  </block>
  <au id="urn:au2"><title><langstring>Remote</langstring></title><url>https://example.org/au</url></au>
</courseStructure>"""


def test_packages_manifest_cmi5_structure():
    result = parse({"cmi5.xml": CMI5, "au/index.html": ""})
    assert messages(result) == []
    assert (result.kind, result.title, result.description) == ("cmi5", "Course", "About")
    block = result.structure["children"][0]
    assert block["type"] == "block"
    au = block["children"][0]
    assert au["moveOn"] == "CompletedAndPassed"
    assert au["masteryScore"] == 0.8
    assert au["launchMethod"] == "OwnWindow"
    assert au["launchParameters"] == '{"a": 1}'
    assert au["entitlementKey"] == "KEY"
    assert au["objectives"] == ["urn:o1"]
    assert [e["href"] for e in result.launch] == ["au/index.html?x=1", "https://example.org/au"]
    remote = result.structure["children"][1]
    assert (remote["moveOn"], remote["launchMethod"]) == ("NotApplicable", "AnyWindow")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (('moveOn="CompletedAndPassed"', 'moveOn="Finished"'), "moveOn 'Finished'"),
        (('masteryScore="0.8"', 'masteryScore="80"'), "masteryScore '80'"),
        (('launchMethod="OwnWindow"', 'launchMethod="Popup"'), "launchMethod 'Popup'"),
        (('id="urn:b"', 'id="urn:c"'), "Duplicate id 'urn:c'"),
        (('idref="urn:o1"', 'idref="urn:o9"'), "'urn:o9' names no course objective"),
        (("<url>au/index.html?x=1</url>", "<url>au/missing.html</url>"), "not in the package"),
        (("profiles/cmi5/v1/CourseStructure.xsd", "example.org/other"), "13.2.0.0-1"),
        (("<url>", "<launchUrl>x</launchUrl><url>"), "<launchUrl> is not allowed in <au>"),
        (("<title><langstring>Remote</langstring></title>", ""), "<au> has no <title>"),
        # Ids become statements' IRIs: the LRS would refuse every statement about these.
        (('id="urn:au1"', 'id="au one"'), "The au id 'au one' is not an IRI"),
        (('id="urn:c"', 'id="http://[::1/c"'), "The course id 'http://[::1/c' is not an IRI"),
    ],
)
def test_packages_manifest_cmi5_errors(change, fragment):
    result = parse({"cmi5.xml": CMI5.replace(*change), "au/index.html": ""})
    assert any(fragment in e for e in messages(result)), messages(result)


def test_packages_manifest_cmi5_extensions_allowed_missing_description_warned():
    cmi5 = CMI5.replace(
        "<url>au/index.html?x=1</url>",
        '<url>au/index.html?x=1</url><x:extra xmlns:x="urn:ext">1</x:extra>',
    )
    result = parse({"cmi5.xml": cmi5, "au/index.html": ""})
    assert messages(result) == []
    assert "<au> has no <description>" in messages(result, "warning")


def test_packages_manifest_tincan():
    tincan = """<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>
      <activity id="http://x/a" type="http://adlnet.gov/expapi/activities/course">
        <name lang="en">Course A</name><description lang="en">D</description>
        <launch lang="en">start.html</launch></activity>
      <activity id="http://x/q" type="http://adlnet.gov/expapi/activities/cmi.interaction">
        <name>Q1</name></activity></activities></tincan>"""
    result = parse({"tincan.xml": tincan, "start.html": ""})
    assert messages(result) == []
    assert (result.kind, result.title) == ("xapi", "Course A")
    assert result.launch == [
        {"id": "http://x/a", "title": "Course A", "href": "start.html", "type": "activity"}
    ]
    assert len(result.structure["activities"]) == 2
    result = parse(
        {
            "tincan.xml": tincan.replace("<launch", "<nolaunch").replace(
                "</launch>", "</nolaunch>"
            ),
            "start.html": "",
        }
    )
    assert "no activity with a <launch>" in messages(result)[0]
    result = parse({"tincan.xml": tincan.replace("http://x/q", "question 1"), "start.html": ""})
    assert "The activity id 'question 1' is not an IRI" in messages(result)[0]


def test_packages_manifest_cmi5_wins_over_imsmanifest():
    result = parse({"cmi5.xml": CMI5, "au/index.html": "", "imsmanifest.xml": MANIFEST_12})
    assert result.kind == "cmi5"
    assert "imsmanifest.xml is ignored" in messages(result, "warning")[0]


def test_packages_manifest_lom_title_and_description():
    lom = """<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>
      <title><string language="sv">Brandskydd</string></title>
      <description><string language="sv">Grundkurs</string></description>
    </general></lom>"""
    org = (
        '<organizations default="o"><organization identifier="o"><title>Org title</title>'
        '<item identifier="i" identifierref="r1"><title>I</title></item></organization>'
        "</organizations>"
    )
    inline = scorm2004(org).replace("</schemaversion>", "</schemaversion>" + lom)
    result = parse({"imsmanifest.xml": inline, "a.html": ""})
    assert (result.title, result.description) == ("Brandskydd", "Grundkurs")
    external = scorm2004(org).replace(
        "</schemaversion>", "</schemaversion><adlcp:location>meta/lom.xml</adlcp:location>"
    )
    result = parse({"imsmanifest.xml": external, "a.html": "", "meta/lom.xml": lom})
    assert (result.title, result.description) == ("Brandskydd", "Grundkurs")
    result = parse({"imsmanifest.xml": scorm2004(org), "a.html": ""})
    assert result.title == "Org title"
