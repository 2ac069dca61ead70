"""Safe extraction: hostile zips built here are refused, odd but honest ones handled."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from packages.extract import ZipLimits, open_package
from packages.report import PackageRefused
from tests.packages.conftest import MANIFEST_12, zip_bytes

GOOD = {"imsmanifest.xml": MANIFEST_12, "index.html": "<p>hi</p>"}


def _info(name: str, **attrs: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def _refusal(path: Path | io.BytesIO, limits: ZipLimits | None = None) -> str:
    with pytest.raises(PackageRefused) as caught:
        open_package(path, limits)
    return " | ".join(p.message for p in caught.value.errors)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("../evil.html", "Unsafe path"),
        ("a/../../evil.html", "Unsafe path"),
        ("..\\evil.html", "Unsafe path"),
        ("/etc/passwd", "Unsafe path"),
        ("C:/Windows/evil.dll", "Unsafe path"),
        ("bad\x01name", "Unsafe path"),
    ],
)
def test_packages_extract_refuses_unsafe_paths(make_zip, name, fragment):
    path = make_zip(GOOD, [(_info(name), b"x")])
    assert fragment in _refusal(path)


def test_packages_extract_refuses_symlinks(make_zip):
    link = _info("link.html", create_system=3, external_attr=(0o120777 << 16))
    assert "Symbolic link" in _refusal(make_zip(GOOD, [(link, b"/etc/passwd")]))


def _set_encrypted_flag(data: bytes, name: bytes) -> bytes:
    """Set bit 0 (encrypted) in the local and central headers of entry ``name``."""
    out = bytearray(data)
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            if out[start + name_at : start + name_at + len(name)] == name:
                out[start + flag_at] |= 0x1
            start += 4
    return bytes(out)


def test_packages_extract_refuses_encrypted_entries(tmp_path):
    path = tmp_path / "secret.zip"
    path.write_bytes(
        _set_encrypted_flag(zip_bytes(GOOD | {"secret.html": "x" * 100}), b"secret.html")
    )
    assert "Encrypted entry: 'secret.html'" in _refusal(path)


def test_packages_extract_refuses_high_compression_ratio(make_zip):
    path = make_zip({**GOOD, "zeros.bin": b"\0" * 300_000})
    message = _refusal(path, ZipLimits(ratio_min_size=1024, max_ratio=50))
    assert "zip bomb" in message
    assert "zeros.bin" in message


def test_packages_extract_refuses_total_size(make_zip):
    path = make_zip({**GOOD, "big.bin": bytes(range(256)) * 40})
    assert "expands to" in _refusal(path, ZipLimits(max_total_size=5000))


def test_packages_extract_refuses_file_count(make_zip):
    path = make_zip({**GOOD, **{f"f{i}.txt": "x" for i in range(5)}})
    assert "the limit is 4" in _refusal(path, ZipLimits(max_files=4))


def test_packages_extract_refuses_duplicate_names(make_zip):
    path = make_zip(GOOD, [(_info("index.html"), b"other")])
    assert "twice" in _refusal(path)


def test_packages_extract_refuses_not_a_zip(tmp_path):
    path = tmp_path / "x.zip"
    path.write_text("# just markdown\n")
    assert _refusal(path) == "The upload is not a zip file"


def test_packages_extract_refuses_zip_without_package(make_zip):
    assert "not a course package" in _refusal(make_zip({"test.htm": "<p>"}))


def test_packages_extract_refuses_manifest_deep_in_subfolder(make_zip):
    path = make_zip({"a/course/imsmanifest.xml": MANIFEST_12, "b/readme.txt": "x"})
    assert "must be at the top" in _refusal(path)


def test_packages_extract_ignores_macos_junk(make_zip):
    path = make_zip(
        {
            **GOOD,
            "__MACOSX/._index.html": "junk",
            ".DS_Store": "junk",
            "img/.DS_Store": "junk",
            "img/": "",
        }
    )
    with open_package(path) as package:
        assert sorted(package.files) == ["imsmanifest.xml", "index.html"]


def test_packages_extract_unwraps_single_top_folder(make_zip):
    path = make_zip({f"Course v2/{k}": v for k, v in GOOD.items()} | {"__MACOSX/x": "j"})
    with open_package(path) as package:
        assert package.root == "Course v2/"
        assert sorted(package.files) == ["imsmanifest.xml", "index.html"]
        assert "inside the folder" in package.warnings[0].message
        assert package.read("index.html", 100) == b"<p>hi</p>"


def test_packages_extract_opens_zip_inside_zip(make_zip, tmp_path):
    inner = zip_bytes(GOOD)
    path = make_zip({"course.zip": inner, "readme.txt": "unzip me"})
    package = open_package(path, temp_dir=str(tmp_path))
    with package:
        assert sorted(package.files) == ["imsmanifest.xml", "index.html"]
        assert "course.zip" in package.warnings[0].message
        assert len(list(tmp_path.glob("tmp*.zip"))) == 1
    assert list(tmp_path.glob("tmp*.zip")) == []


def test_packages_extract_zip_inside_zip_is_checked_too(make_zip, tmp_path):
    inner = zip_bytes(GOOD | {"../../evil": "x"})
    path = make_zip({"course.zip": inner})
    assert "Unsafe path" in _refusal(path)
    assert list(tmp_path.glob("tmp*.zip")) == []


def test_packages_extract_does_not_recurse_twice(make_zip):
    path = make_zip({"outer.zip": zip_bytes({"inner.zip": zip_bytes(GOOD)})})
    assert "not a course package" in _refusal(path)


def test_packages_extract_reads_streams(make_zip: Callable[..., Path]):
    stream = io.BytesIO(zip_bytes(GOOD))
    with open_package(stream) as package, package.open("index.html") as entry:
        assert entry.read(2) == b"<p"


def test_packages_extract_accepts_zip64(tmp_path):
    # cmi5 packages may be ZIP64 (CATAPULT LTS 102-zip64 is a must-import case).
    path = tmp_path / "zip64.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in GOOD.items():
            with archive.open(name, "w", force_zip64=True) as entry:
                entry.write(data.encode())
    # Local headers say 0xFFFFFFFF for both sizes: the real ones are in the ZIP64 extra.
    assert path.read_bytes()[18:26] == b"\xff" * 8
    with open_package(path) as package:
        assert package.read("index.html", 100) == b"<p>hi</p>"
