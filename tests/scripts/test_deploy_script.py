"""`ape run deploy` deploys the contracts on a network and records the deployment for the CLI."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOUNDERS = [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
]


def _ape_run(*args: str) -> subprocess.CompletedProcess[str]:
    ape = Path(sys.executable).with_name("ape")
    return subprocess.run(
        [str(ape), "run", "deploy", "--network", "ethereum:local:foundry", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_records_every_address(tmp_path: Path) -> None:
    # Execute
    result = _ape_run(
        "--account", "TEST::0", "--founders", ",".join(FOUNDERS), "--home", str(tmp_path)
    )

    # Assert
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "deployment.json").read_text())
    addresses = [record["aggregator"], record["governance"], record["registry"]]
    assert len(set(addresses)) == 3
    assert all(a.startswith("0x") and len(a) == 42 for a in addresses)
    assert record["variants"] == ["masked_update_default"]
    assert record["chain_id"] == 31337
    assert "WARNING: insecure development keys" in result.stdout


def test_deploy_refuses_a_malformed_founder(tmp_path: Path) -> None:
    # Execute
    result = _ape_run("--account", "TEST::0", "--founders", "0x1234", "--home", str(tmp_path))

    # Assert
    assert result.returncode != 0
    assert "'0x1234' is not an address" in result.stderr + result.stdout
    assert not (tmp_path / "deployment.json").exists()
