"""The segmentation workbench: from a CRM export to a client segmentation report.

The six steps of the method are the modules ``goal``, ``criteria``,
``grouping``, ``priorities``, ``playbooks`` and ``allocation``; ``intake``
reads the exports into canonical tables, ``engagement`` runs the notebooks
and ``report`` renders the client report. Submodules are not imported here so
that a notebook pays only for what it uses (``grouping`` is the only one that
imports scikit-learn).
"""

__version__ = "0.1.0"

#: The six steps, in order: module names, notebook stems and report sections.
STEPS = ("goal", "criteria", "grouping", "priorities", "playbooks", "allocation")
