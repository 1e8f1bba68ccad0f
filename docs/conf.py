"""Sphinx configuration of the mtjsc documentation (`./run docs` builds it into docs/_build/html)."""

import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))

project = "mtjsc"
author = "the mtjsc developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinxcontrib.yowasp_wavedrom"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "mtjsc"
myst_heading_anchors = 4
napoleon_numpy_docstring = True
napoleon_google_docstring = False
autodoc_member_order = "bysource"
