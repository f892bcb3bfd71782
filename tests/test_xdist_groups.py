"""The suite's xdist groups hold: a grouped test carries its group in its node id.

`.ci/run` runs `pytest -n 2 --dist loadgroup`, and the Neo4j, Spark and rendered-report tests
rely on their group to share one worker (one database, one JVM, one rendering). When pytest and
pytest-xdist disagree on where a node's id lives, the group mark is ignored without a word and
the groups' session fixtures are built on both workers (the Spark parity drop twice: +170 s).
"""
from __future__ import annotations

import pytest


@pytest.mark.xdist_group("report-rendered")
def test_a_grouped_test_runs_under_its_group(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only under `pytest -n N --dist loadgroup` (as .ci/run runs the suite)")
    assert request.node.nodeid.endswith("@report-rendered"), request.node.nodeid
