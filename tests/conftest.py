"""Fixtures shared by every suite."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

_POINTS_JS = """
const {buildBabyjub} = require("circomlibjs");
buildBabyjub().then((bjj) => {
  const F = bjj.F;
  const out = (p) => [F.toString(p[0]), F.toString(p[1])];
  const scalars = [1n, 2n, 12345n, 2n ** 200n + 7n];
  console.log(JSON.stringify({
    subgroup: scalars.map((k) => out(bjj.mulPointEscalar(bjj.Base8, k))),
    generator: out(bjj.Generator),
  }));
  process.exit(0);
});
"""


@pytest.fixture(scope="session")
def reference_points() -> dict[str, Any]:
    """BabyJubJub points computed by circomlibjs, the reference implementation."""
    result = subprocess.run(
        ["node", "-e", _POINTS_JS], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    raw = json.loads(result.stdout)
    return {
        "subgroup": [tuple(int(c) for c in point) for point in raw["subgroup"]],
        "generator": tuple(int(c) for c in raw["generator"]),
    }
