// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {ChunkRecovery} from "../../../contracts/ChunkRecovery.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @notice The aggregator's constructor: its governance, its verifier registry, and the three
///         contracts it deploys (`ckks`, `keys`, `recovery`). The key registry's own tests are in
///         KeyRegistry.t.sol.
contract ConstructorTest is AggregatorFixture {
    function test_Constructor_BindsGovernanceRegistryAndKeys() public view {
        assertEq(agg.governance(), address(gov));
        assertEq(agg.registry(), address(registry));
        assertTrue(agg.keys().code.length != 0);
        assertEq(IKeyRegistry(agg.keys()).aggregator(), address(agg));
        assertEq(IKeyRegistry(agg.keys()).governance(), address(gov));
        assertEq(IKeyRegistry(agg.keys()).keyVerifier(), registry.keyVerifier());
        assertTrue(agg.ckks().code.length != 0);
        assertTrue(agg.ckks() != agg.keys());
    }

    /// @dev The third contract it deploys: `recovery`, bound to it and to its key registry.
    function test_Constructor_DeploysChunkRecovery() public view {
        ChunkRecovery recovery = ChunkRecovery(agg.recovery());
        assertTrue(address(recovery).code.length != 0);
        assertEq(recovery.aggregator(), address(agg));
        assertEq(recovery.keys(), agg.keys());
        assertTrue(address(recovery) != agg.keys() && address(recovery) != agg.ckks());
    }

    function test_RevertWhen_GovernanceBoundElsewhere() public {
        MockModelGovernance other = new MockModelGovernance(address(0xBEEF));
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.GovernanceMismatch.selector, address(other), address(0xBEEF)
            )
        );
        new FederatedAggregator(IModelGovernance(address(other)), registry);
    }

    /// @dev A `VerifierRegistry` refuses such a key verifier itself; the aggregator checks
    ///      again, since any contract answering `keyVerifier()` can be passed as the registry.
    function test_RevertWhen_RegistryKeyVerifierWithoutCode() public {
        vm.mockCall(
            address(registry),
            abi.encodeCall(IVerifierRegistry.keyVerifier, ()),
            abi.encode(address(0xC0DE))
        );
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance g = new MockModelGovernance(predicted);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.MissingKeyVerifier.selector, address(registry)
            )
        );
        new FederatedAggregator(IModelGovernance(address(g)), registry);
    }

    function test_RevertWhen_RegistryWithoutCode() public {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance g = new MockModelGovernance(predicted);
        vm.expectRevert();
        new FederatedAggregator(IModelGovernance(address(g)), IVerifierRegistry(address(0xC0DE)));
    }
}
