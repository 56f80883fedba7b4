"""The client report: its text, charts, languages and rendering.

``narrative`` writes the report's sections from a run's artifacts (the report
notebook calls one method per cell); ``charts`` draws the seaborn figures the
step notebooks and the report share; ``i18n`` reads the gettext
catalogues (``locales/report.pot``, ``locales/<language>/LC_MESSAGES/report.po``)
and writes numbers and dates with Babel;
``render`` turns the executed report notebook into self-contained HTML and a
PDF. Nothing is imported here, so a step notebook that needs only ``charts``
does not pay for nbconvert.
"""
