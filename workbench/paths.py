"""Every path the package needs comes from the repository root here."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = ROOT / "templates"
LOCALES = Path(__file__).resolve().parent / "report" / "locales"

#: Files a cover logo may be, and their media types (embedded as a data: URI).
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
