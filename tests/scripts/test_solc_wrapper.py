"""tools/solc.cjs, the soljson-backed `solc` that forge and ape-solidity call."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _standard_json(sources: dict[str, str]) -> dict[str, object]:
    completed = subprocess.run(
        ["node", str(ROOT / "tools" / "solc.cjs"), "--standard-json"],
        input=json.dumps(
            {
                "language": "Solidity",
                "sources": {name: {"content": text} for name, text in sources.items()},
                "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
            }
        ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    output: dict[str, object] = json.loads(completed.stdout)
    return output


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_an_input_larger_than_soljsons_stack_compiles() -> None:
    # Prepare: 4 MB of source; soljson would copy 4 bytes per character onto its stack.
    padding = "// " + "x" * 100 + "\n"
    big = padding * 40_000 + "pragma solidity ^0.8.0;\ncontract Big { uint256 public x; }\n"
    small = 'pragma solidity ^0.8.0;\nimport "Big.sol";\ncontract Small is Big {}\n'

    # Execute
    output = _standard_json({"Big.sol": big, "Small.sol": small})

    # Assert: both compiled, the import resolved to the given content, and no errors.
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]  # type: ignore[attr-defined]
    assert errors == []
    contracts = output["contracts"]
    assert set(contracts) == {"Big.sol", "Small.sol"}  # type: ignore[arg-type]
    assert contracts["Small.sol"]["Small"]["abi"][0]["name"] == "x"  # type: ignore[index]
