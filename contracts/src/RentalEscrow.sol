// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAccessRegistry} from "./interfaces/IAccessRegistry.sol";
import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IRentalEscrow} from "./interfaces/IRentalEscrow.sol";

/// @title RentalEscrow
/// @notice Escrows rental fees until governance grants or the request fails. See {IRentalEscrow}.
/// @dev Value transfers are `nonReentrant` and follow checks-effects-interactions. The escrow's balance always
/// equals the fees of open requests plus the unclaimed part of granted requests' fees.
contract RentalEscrow is IRentalEscrow, ReentrancyGuard {
    string private constant _GRANT_DESCRIPTION_PREFIX = "Grant access request #";

    IGovernor private immutable _governor;
    IVotes private immutable _token;
    IDatasetConfig private immutable _config;
    address private immutable _accessRegistry;

    uint256 private _requestCount;
    mapping(uint256 reqId => Request) private _requests;
    mapping(uint256 reqId => mapping(address holder => bool)) private _feeClaimed;

    /// @dev `accessRegistry_` is deployed first (it is constructed with this escrow's predicted address);
    /// the check below catches a wrong prediction at deployment rather than at the first grant.
    constructor(
        address governor_,
        address token_,
        address datasetConfig_,
        address accessRegistry_
    ) {
        _governor = IGovernor(governor_);
        _token = IVotes(token_);
        _config = IDatasetConfig(datasetConfig_);
        _accessRegistry = accessRegistry_;
        if (
            accessRegistry_.code.length == 0
                || IAccessRegistry(accessRegistry_).escrow() != address(this)
        ) {
            revert RentalEscrowRegistryMismatch(accessRegistry_);
        }
    }

    /// @inheritdoc IRentalEscrow
    function requestAccess(
        uint256 datasetId,
        bytes calldata renterKey,
        uint64 fromEpoch,
        uint64 toEpoch,
        uint64 expiry
    ) external payable virtual nonReentrant returns (uint256 reqId) {
        if (!_config.exists(datasetId)) revert RentalEscrowUnknownDataset(datasetId);
        if (msg.value == 0) revert RentalEscrowZeroFee();
        if (renterKey.length == 0) revert RentalEscrowEmptyRenterKey();
        if (fromEpoch > toEpoch) revert RentalEscrowInvalidScope(fromEpoch, toEpoch);
        // Expiry is a wall-clock rental term (hours to days); a few seconds of proposer skew are irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        if (expiry <= block.timestamp) revert RentalEscrowExpiryInPast(expiry);

        reqId = ++_requestCount;
        _requests[reqId] = Request({
            renter: msg.sender,
            status: Status.Open,
            fromEpoch: fromEpoch,
            toEpoch: toEpoch,
            expiry: expiry,
            grantBlock: 0,
            datasetId: datasetId,
            fee: msg.value,
            claimed: 0,
            renterKey: renterKey
        });
        emit AccessRequested(
            reqId, msg.sender, datasetId, msg.value, fromEpoch, toEpoch, expiry, renterKey
        );
    }

    /// @inheritdoc IRentalEscrow
    function refund(uint256 reqId) external virtual nonReentrant {
        Request storage r = _requests[reqId];
        Status status = r.status;
        if (status == Status.None) revert RentalEscrowUnknownRequest(reqId);
        if (status != Status.Open) revert RentalEscrowNotOpen(reqId, status);
        if (!_refundable(reqId, r)) revert RentalEscrowNotRefundable(reqId);

        r.status = Status.Refunded;
        address renter = r.renter;
        uint256 fee = r.fee;
        emit AccessRefunded(reqId, renter, fee);
        _send(renter, fee);
    }

    /// @inheritdoc IRentalEscrow
    function claimFee(uint256 reqId) external virtual nonReentrant returns (uint256 amount) {
        Request storage r = _requests[reqId];
        if (r.status != Status.Granted) revert RentalEscrowNotGranted(reqId);
        uint64 grantBlock = r.grantBlock;
        // Votes are read at the grant block, which must be in the past for the checkpoint lookup.
        if (block.number <= grantBlock) revert RentalEscrowClaimTooEarly(reqId, grantBlock);
        if (_feeClaimed[reqId][msg.sender]) revert RentalEscrowAlreadyClaimed(reqId, msg.sender);
        amount = _share(r, msg.sender);
        if (amount == 0) revert RentalEscrowNothingToClaim(reqId, msg.sender);

        _feeClaimed[reqId][msg.sender] = true;
        r.claimed += amount;
        emit FeeClaimed(reqId, msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IRentalEscrow
    function onGranted(uint256 reqId) external virtual returns (Request memory) {
        if (msg.sender != _accessRegistry) revert RentalEscrowNotAccessRegistry(msg.sender);
        Request storage r = _requests[reqId];
        Status status = r.status;
        if (status == Status.None) revert RentalEscrowUnknownRequest(reqId);
        if (status != Status.Open) revert RentalEscrowNotOpen(reqId, status);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > r.expiry) revert RentalEscrowRequestExpired(reqId, r.expiry);

        r.status = Status.Granted;
        r.grantBlock = uint64(block.number);
        emit AccessFeeReleased(reqId, uint64(block.number), r.fee);
        return r;
    }

    /// @inheritdoc IRentalEscrow
    function proposeGrant(uint256 reqId) external virtual returns (uint256 proposalId) {
        Request storage r = _requests[reqId];
        Status status = r.status;
        if (status == Status.None) revert RentalEscrowUnknownRequest(reqId);
        if (status != Status.Open) revert RentalEscrowNotOpen(reqId, status);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > r.expiry) revert RentalEscrowRequestExpired(reqId, r.expiry);
        (
            address[] memory targets,
            uint256[] memory values,
            bytes[] memory calldatas,
            string memory description
        ) = grantProposal(reqId);
        // The governor is ours and immutable; the proposal's `#proposer=` names this contract.
        proposalId = _governor.propose(targets, values, calldatas, description);
        emit GrantProposed(reqId, proposalId, msg.sender);
    }

    /// @inheritdoc IRentalEscrow
    function refundable(uint256 reqId) external view virtual returns (bool) {
        Request storage r = _requests[reqId];
        return r.status == Status.Open && _refundable(reqId, r);
    }

    /// @inheritdoc IRentalEscrow
    function claimableFee(uint256 reqId, address holder) external view virtual returns (uint256) {
        Request storage r = _requests[reqId];
        if (
            r.status != Status.Granted || block.number <= r.grantBlock || _feeClaimed[reqId][holder]
        ) return 0;
        return _share(r, holder);
    }

    /// @inheritdoc IRentalEscrow
    function feeClaimed(uint256 reqId, address holder) external view returns (bool) {
        return _feeClaimed[reqId][holder];
    }

    /// @inheritdoc IRentalEscrow
    function request(uint256 reqId) external view returns (Request memory) {
        Request memory r = _requests[reqId];
        // An enum state check (does the request exist), not a balance comparison.
        // slither-disable-next-line incorrect-equality
        if (r.status == Status.None) revert RentalEscrowUnknownRequest(reqId);
        return r;
    }

    /// @inheritdoc IRentalEscrow
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IRentalEscrow
    function grantProposal(uint256 reqId)
        public
        view
        returns (
            address[] memory targets,
            uint256[] memory values,
            bytes[] memory calldatas,
            string memory description
        )
    {
        targets = new address[](1);
        targets[0] = _accessRegistry;
        values = new uint256[](1);
        calldatas = new bytes[](1);
        calldatas[0] = abi.encodeCall(IAccessRegistry.grant, (reqId));
        description = string.concat(
            _GRANT_DESCRIPTION_PREFIX,
            Strings.toString(reqId),
            "#proposer=",
            Strings.toHexString(address(this))
        );
    }

    /// @inheritdoc IRentalEscrow
    function grantProposalId(uint256 reqId) public view returns (uint256) {
        (
            address[] memory targets,
            uint256[] memory values,
            bytes[] memory calldatas,
            string memory description
        ) = grantProposal(reqId);
        return _governor.hashProposal(targets, values, calldatas, keccak256(bytes(description)));
    }

    /// @inheritdoc IRentalEscrow
    function governor() external view returns (address) {
        return address(_governor);
    }

    /// @inheritdoc IRentalEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRentalEscrow
    function accessRegistry() external view returns (address) {
        return _accessRegistry;
    }

    /// @inheritdoc IRentalEscrow
    function datasetConfig() external view returns (address) {
        return address(_config);
    }

    /// @dev Expired ungranted, or the canonical grant proposal exists and can no longer pass.
    function _refundable(uint256 reqId, Request storage r) private view returns (bool) {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > r.expiry) return true;
        uint256 proposalId = grantProposalId(reqId);
        // `state` reverts for an unknown proposal; a zero snapshot means it was never proposed.
        if (_governor.proposalSnapshot(proposalId) == 0) return false;
        IGovernor.ProposalState s = _governor.state(proposalId);
        return s == IGovernor.ProposalState.Defeated || s == IGovernor.ProposalState.Canceled
            || s == IGovernor.ProposalState.Expired;
    }

    function _share(Request storage r, address holder) private view returns (uint256) {
        uint256 supply = _token.getPastTotalSupply(r.grantBlock);
        if (supply == 0) return 0;
        // votes <= supply, so the sum over holders never exceeds the fee.
        return Math.mulDiv(r.fee, _token.getPastVotes(holder, r.grantBlock), supply);
    }

    function _send(address to, uint256 amount) private {
        // `to` is never caller-chosen: it is msg.sender (claimFee) or the request's stored renter
        // (refund, permissionless by design so a renter's funds cannot be held hostage).
        // slither-disable-next-line arbitrary-send-eth
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert RentalEscrowTransferFailed(to, amount);
    }
}
