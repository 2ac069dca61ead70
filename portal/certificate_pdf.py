"""A certificate as a one-page PDF (ReportLab) with a QR code (segno) to check it.

The texts come from the catalogue in the language asked for; dates in that locale.
The QR code holds the verification address printed under it, drawn as vector squares so
it scans at any print size.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import reportlab
import segno
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from portal.certificate_models import Certificate

# DejaVu (Debian's fonts-dejavu-core) covers the names of people from everywhere; the
# Vera fonts that ship with ReportLab cover Latin-1 (Swedish included) when it is absent.
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"
REGULAR, BOLD = "CertificateSans", "CertificateSans-Bold"
WIDTH, HEIGHT = landscape(A4)
MARGIN = 48.0
QR_SIZE = 112.0


@cache
def _fonts() -> tuple[str, str]:
    """Register the certificate's two fonts once per process."""
    if (_DEJAVU / "DejaVuSans.ttf").exists():
        files = (_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf")
    else:
        files = (_VERA / "Vera.ttf", _VERA / "VeraBd.ttf")
    pdfmetrics.registerFont(TTFont(REGULAR, str(files[0])))
    pdfmetrics.registerFont(TTFont(BOLD, str(files[1])))
    return REGULAR, BOLD


def render(certificate: Certificate, verify_url: str, locale: str) -> bytes:
    """The certificate as PDF bytes, its texts in ``locale`` ("sv" or "en")."""
    regular, bold = _fonts()
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    with force_locale(locale):
        title = _("Certificate")
        pdf.setTitle(f"{title}: {certificate.course_title}")
        pdf.setAuthor(certificate.issuer)
        pdf.setSubject(certificate.learner_name)
        pdf.setLineWidth(2)
        pdf.rect(MARGIN / 2, MARGIN / 2, WIDTH - MARGIN, HEIGHT - MARGIN)
        y = HEIGHT - 120
        y = _centred(pdf, [title], bold, 34, y)
        y = _centred(pdf, [_("This certifies that")], regular, 14, y - 26)
        y = _centred(pdf, _lines(certificate.learner_name, bold, 28), bold, 28, y - 20)
        y = _centred(pdf, [_("has completed the course")], regular, 14, y - 16)
        _centred(pdf, _lines(certificate.course_title, bold, 22), bold, 22, y - 14)
        details = [
            (_("Date"), format_date(certificate.completed_on, "long")),
            (
                _("Valid until"),
                format_date(certificate.valid_until, "long")
                if certificate.valid_until
                else _("No end date"),
            ),
            (_("Issued by"), certificate.issuer),
            (_("Certificate number"), certificate.code),
        ]
        _details(pdf, details, regular, bold)
        _qr(pdf, verify_url, WIDTH - MARGIN - QR_SIZE, MARGIN + 20)
        pdf.setFont(regular, 8)
        pdf.drawRightString(WIDTH - MARGIN, MARGIN + 8, _("Check this certificate:"))
        pdf.drawRightString(WIDTH - MARGIN, MARGIN - 2, verify_url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _lines(text: str, font: str, size: float) -> list[str]:
    """The text wrapped to the page's width, at most three lines."""
    return simpleSplit(text, font, size, WIDTH - 4 * MARGIN)[:3]


def _centred(pdf: Canvas, lines: list[str], font: str, size: float, y: float) -> float:
    """Draw lines centred from ``y`` down; the baseline of the last one."""
    pdf.setFont(font, size)
    for line in lines:
        pdf.drawCentredString(WIDTH / 2, y, line)
        y -= size * 1.25
    return y + size * 1.25 - size


def _details(pdf: Canvas, rows: list[tuple[str, str]], regular: str, bold: str) -> None:
    """The facts of the certificate as label: value lines at the bottom left."""
    y = MARGIN + 20 + 14 * (len(rows) - 1)
    for label, value in rows:
        pdf.setFont(bold, 10)
        pdf.drawString(MARGIN + 12, y, f"{label}:")
        pdf.setFont(regular, 10)
        pdf.drawString(MARGIN + 140, y, value)
        y -= 14


def _qr(pdf: Canvas, data: str, x: float, y: float) -> None:
    """The QR code of ``data`` as black squares, ``QR_SIZE`` wide with its quiet zone."""
    rows = [list(row) for row in segno.make(data, error="m").matrix_iter(border=4)]
    module = QR_SIZE / len(rows)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + QR_SIZE - (r + 1) * module
        c = 0
        while c < len(row):  # one rectangle per run of dark modules
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)
