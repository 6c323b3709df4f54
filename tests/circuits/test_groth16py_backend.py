"""The optional groth16py prover (zkfed.proving_groth16py, GPL-3.0): optional in earnest.

Its proofs are held to the same tests as the native prover's in test_fast_provers.py; here, a
missing package is one clear sentence and the core never imports it.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from types import ModuleType

import pytest
from circuit_harness import ROOT

from zkfed.exceptions import ToolchainError


def test_missing_package_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    from zkfed import proving_groth16py

    real = importlib.import_module

    def without_groth16py(name: str, package: str | None = None) -> ModuleType:
        if name == "groth16py":
            raise ImportError("No module named 'groth16py'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_groth16py)

    # Execute / Assert
    with pytest.raises(ToolchainError, match=r"pip install 'zkfed\[groth16py\]'"):
        proving_groth16py.load_groth16py()
    assert not proving_groth16py.available()


def test_the_core_never_imports_groth16py() -> None:
    # Execute
    code = (
        "import sys, zkfed, zkfed.proving, zkfed.protocol, zkfed.secagg, zkfed.ceremony;"
        "print(json.dumps(sorted(m for m in sys.modules if 'groth16py' in m)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json;" + code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )

    # Assert
    assert json.loads(result.stdout) == []
