"""Every path the package needs comes from the repository root here."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = ROOT / "templates"
LOCALES = Path(__file__).resolve().parent / "report" / "locales"
