// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "../interfaces/IFederatedAggregator.sol";

/// @notice The two governance reads the aggregator makes, with members set directly, and a
///         pass-through `createTask`, so aggregator tests need no proposals and votes.
contract MockModelGovernance {
    address public immutable aggregator;
    address[] private _members;
    mapping(address account => bool) public isMember;

    constructor(address aggregator_) {
        aggregator = aggregator_;
    }

    function setMembers(address[] calldata accounts) external {
        for (uint256 i; i < _members.length; ++i) {
            isMember[_members[i]] = false;
        }
        _members = accounts;
        for (uint256 i; i < accounts.length; ++i) {
            isMember[accounts[i]] = true;
        }
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function createTask(IFederatedAggregator.TaskConfig calldata config)
        external
        returns (uint256)
    {
        return IFederatedAggregator(aggregator).createTask(config);
    }
}
