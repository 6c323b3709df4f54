"""Members' keys live in the `KeyRegistry` the aggregator deploys; the client reads them there.

The registry moved out of `FederatedAggregator`, but a `KeyPossession` proof's binding still names
the aggregator: keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator,
account)) mod p, as before the move, so keys proven for a deployment are bound to it.
"""

from typing import Any

from ape import chain
from contract_helpers import ZERO_PROOF, key_binding

from zkfed.babyjubjub import Point, public_key
from zkfed.chain import Zkfed

UNUSED_ACCOUNT = "0x" + "ab" * 20


def test_the_aggregator_deploys_its_key_registry(
    aggregator: Any, governance: Any, key_registry: Any, registry: Any, key_verifier: Any
) -> None:
    # Execute
    zk = Zkfed(aggregator, governance)

    # Assert
    assert zk.keys.address == aggregator.keys() == key_registry.address
    assert key_registry.aggregator() == aggregator.address
    assert key_registry.governance() == governance.address
    assert key_registry.keyVerifier() == registry.keyVerifier() == key_verifier.address


def test_key_binding_names_the_chain_the_aggregator_and_the_account(
    aggregator: Any, governance: Any, key_registry: Any, members: list[Any], outsider: Any
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    accounts = [m.address for m in members] + [outsider.address, UNUSED_ACCOUNT]

    # Execute
    bindings = [int(key_registry.keyBinding(a)) for a in accounts]

    # Assert: the old formula with the aggregator's address, not the registry's; one per account.
    assert bindings == [key_binding(chain.chain_id, aggregator.address, a) for a in accounts]
    assert [zk.key_binding(a) for a in accounts] == bindings
    assert bindings[0] != key_binding(chain.chain_id, key_registry.address, accounts[0])
    assert len(set(bindings)) == len(accounts)


def test_client_reads_keys_from_the_key_registry(
    aggregator: Any,
    governance: Any,
    key_registry: Any,
    members: list[Any],
    public_keys: list[Point],
    newcomer: Any,
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    pk = public_key(0x7E57)

    # Execute
    before = (zk.public_key(newcomer), zk.key_owner(pk))
    tx = key_registry.registerKey(*pk, ZERO_PROOF, sender=newcomer)

    # Assert
    assert [zk.public_key(m) for m in members] == public_keys
    assert [zk.key_owner(key) for key in public_keys] == [m.address for m in members]
    assert before == (None, None)
    assert (zk.public_key(newcomer), zk.key_owner(pk)) == (pk, newcomer.address)
    (event,) = tx.events.filter(key_registry.KeyRegistered)
    assert (event.member, event.x, event.y) == (newcomer.address, *pk)
