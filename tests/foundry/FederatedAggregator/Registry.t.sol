// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {BabyJubJubReference as Ref} from "../utils/BabyJubJubReference.sol";

contract RegistryTest is AggregatorFixture {
    address internal newcomer = makeAddr("newcomer");

    function setUp() public override {
        super.setUp();
        members.push(newcomer);
        gov.setMembers(members);
    }

    function test_Constructor_BindsGovernance() public view {
        assertEq(agg.governance(), address(gov));
    }

    function test_RevertWhen_GovernanceBoundElsewhere() public {
        MockModelGovernance other = new MockModelGovernance(address(0xBEEF));
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.GovernanceMismatch.selector, address(other), address(0xBEEF)
            )
        );
        new FederatedAggregator(IModelGovernance(address(other)));
    }

    function test_RegisterKey() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectEmit(address(agg));
        emit IFederatedAggregator.KeyRegistered(newcomer, x, y);
        vm.prank(newcomer);
        agg.registerKey(x, y);

        (bool registered, uint256 kx, uint256 ky) = agg.publicKey(newcomer);
        assertTrue(registered);
        assertEq(kx, x);
        assertEq(ky, y);
    }

    function test_PublicKey_UnregisteredIsEmpty() public view {
        (bool registered, uint256 x, uint256 y) = agg.publicKey(newcomer);
        assertFalse(registered);
        assertEq(x, 0);
        assertEq(y, 0);
    }

    /// forge-config: default.fuzz.runs = 24
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_RegisterKey_AnySubgroupKey(uint256 sk) public {
        sk = bound(sk, 1, Ref.ORDER - 1);
        (uint256 x, uint256 y) = Ref.publicKey(sk);
        vm.prank(newcomer);
        agg.registerKey(x, y);
        (bool registered,,) = agg.publicKey(newcomer);
        assertTrue(registered);
    }

    function test_RevertWhen_RegisterKey_NotMember() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(abi.encodeWithSelector(IFederatedAggregator.NotMember.selector, outsider));
        vm.prank(outsider);
        agg.registerKey(x, y);
    }

    function test_RevertWhen_RegisterKey_AlreadyRegistered() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.KeyAlreadyRegistered.selector, members[0])
        );
        vm.prank(members[0]);
        agg.registerKey(x, y);
    }

    function test_RevertWhen_RegisterKey_OffCurve() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidPublicKey.selector, x, y + 1)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y + 1);
    }

    function test_RevertWhen_RegisterKey_OutsideSubgroup() public {
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(Ref.GEN_X, Ref.GEN_Y);
    }

    function test_RevertWhen_RegisterKey_SmallOrder() public {
        // (0, -1) has order 2: a key like it would leak a neighbour's secret bit by bit.
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(0, P - 1);
    }

    function test_RevertWhen_RegisterKey_Identity() public {
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(0, 1);
    }
}
