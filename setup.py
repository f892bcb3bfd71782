"""Maps the top-level folders onto one installed namespace, ``ringscope``.

The repository layout is fixed (``ingest/``, ``graph/``, ``analytics/``,
``app/`` at the top), but bare ``graph`` or ``app`` packages in site-packages
would collide with other projects, so each folder is installed as
``ringscope.<folder>`` (an implicit namespace package, no ``ringscope/``
folder needed).  Sub-packages are discovered so new ones need no edit here.
"""
import os

from setuptools import setup

TOP_LEVEL = ("ingest", "graph", "analytics", "app")

packages = []
package_dir = {}
for top in TOP_LEVEL:
    package_dir[f"ringscope.{top}"] = top
    for root, _dirs, files in os.walk(top):
        if "__init__.py" in files and "__pycache__" not in root:
            packages.append("ringscope." + root.replace(os.sep, "."))

setup(packages=packages, package_dir=package_dir)
