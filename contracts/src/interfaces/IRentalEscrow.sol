// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRentalEscrow
/// @notice Holds renters' access fees. A request is refunded when it expires ungranted or when its
/// canonical grant proposal is Defeated, Canceled or Expired in the governor; once granted (by the
/// AccessRegistry, executed through the timelock) its fee is claimable by token holders pro rata to
/// `getPastVotes(holder, grantBlock) / getPastTotalSupply(grantBlock)`.
/// @dev The canonical grant proposal of request `reqId` is
/// `targets = [accessRegistry]`, `values = [0]`, `calldatas = [abi.encodeCall(IAccessRegistry.grant, (reqId))]`,
/// `description = string.concat("Grant access request #", Strings.toString(reqId), "#proposer=", <this escrow>)`;
/// `grantProposal` returns it and `grantProposalId` its governor proposal id. The `#proposer=` suffix (OpenZeppelin
/// Governor's front-running protection) means only this escrow can propose it, through `proposeGrant`, which
/// anyone may call; so no stranger can propose the canonical proposal and then cancel it while it is pending (the
/// governor lets only a proposal's proposer cancel it, and the escrow never does), which would otherwise block the
/// request from ever being granted. `expiry` is a unix timestamp: the request must be granted at
/// or before it, and the granted access ends after it.
interface IRentalEscrow {
    /// @notice Lifecycle of a request.
    enum Status {
        None,
        Open,
        Granted,
        Refunded
    }

    /// @notice One access request.
    struct Request {
        address renter;
        Status status;
        uint64 fromEpoch;
        uint64 toEpoch;
        uint64 expiry;
        uint64 grantBlock;
        uint256 datasetId;
        uint256 fee;
        uint256 claimed; // fee paid out to holders so far
        bytes renterKey;
    }

    /// @notice Thrown when a request is made for a dataset that does not exist.
    error RentalEscrowUnknownDataset(uint256 datasetId);
    /// @notice Thrown when a request carries no fee.
    error RentalEscrowZeroFee();
    /// @notice Thrown when a request carries an empty renter key.
    error RentalEscrowEmptyRenterKey();
    /// @notice Thrown when a request's epoch scope is inverted (fromEpoch > toEpoch).
    error RentalEscrowInvalidScope(uint64 fromEpoch, uint64 toEpoch);
    /// @notice Thrown when a request's expiry is not in the future.
    error RentalEscrowExpiryInPast(uint64 expiry);
    /// @notice Thrown when a request id does not exist.
    error RentalEscrowUnknownRequest(uint256 reqId);
    /// @notice Thrown when a request is not open (already granted or refunded).
    error RentalEscrowNotOpen(uint256 reqId, Status status);
    /// @notice Thrown when a refund is asked for a request that is neither expired nor defeated.
    error RentalEscrowNotRefundable(uint256 reqId);
    /// @notice Thrown when a grant arrives after the request expired.
    error RentalEscrowRequestExpired(uint256 reqId, uint64 expiry);
    /// @notice Thrown when someone other than the AccessRegistry reports a grant.
    error RentalEscrowNotAccessRegistry(address caller);
    /// @notice Thrown when a fee is claimed for a request that has not been granted.
    error RentalEscrowNotGranted(uint256 reqId);
    /// @notice Thrown when a fee is claimed in the grant block itself (votes are read at the grant block).
    error RentalEscrowClaimTooEarly(uint256 reqId, uint64 grantBlock);
    /// @notice Thrown when a holder claims a request's fee a second time.
    error RentalEscrowAlreadyClaimed(uint256 reqId, address holder);
    /// @notice Thrown when a holder had no votes at the grant block.
    error RentalEscrowNothingToClaim(uint256 reqId, address holder);
    /// @notice Thrown when sending ETH fails.
    error RentalEscrowTransferFailed(address to, uint256 amount);
    /// @notice Thrown when the AccessRegistry given at construction does not point back at this escrow.
    error RentalEscrowRegistryMismatch(address accessRegistry);

    /// @notice Emitted after an access request is recorded and its fee escrowed.
    event AccessRequested(
        uint256 indexed reqId,
        address indexed renter,
        uint256 indexed datasetId,
        uint256 fee,
        uint64 fromEpoch,
        uint64 toEpoch,
        uint64 expiry,
        bytes renterKey
    );
    /// @notice Emitted after a request is marked granted; its fee is now claimable by holders.
    event AccessFeeReleased(uint256 indexed reqId, uint64 grantBlock, uint256 fee);
    /// @notice Emitted after a request's fee was returned to its renter.
    event AccessRefunded(uint256 indexed reqId, address indexed renter, uint256 fee);
    /// @notice Emitted after `proposeGrant` put a request's canonical grant proposal to the governor.
    event GrantProposed(uint256 indexed reqId, uint256 indexed proposalId, address indexed caller);
    /// @notice Emitted after a holder claimed its share of a granted request's fee.
    event FeeClaimed(uint256 indexed reqId, address indexed holder, uint256 amount);

    /// @notice Records an access request and escrows `msg.value` as its fee.
    /// @param renterKey The renter's public key that validators encrypt decryption shares to.
    /// @param fromEpoch First epoch (inclusive) whose files the renter may decrypt.
    /// @param toEpoch Last epoch (inclusive).
    /// @param expiry Unix timestamp: grant deadline and end of the granted access.
    /// @return reqId The request id (1, 2, ...).
    function requestAccess(
        uint256 datasetId,
        bytes calldata renterKey,
        uint64 fromEpoch,
        uint64 toEpoch,
        uint64 expiry
    ) external payable returns (uint256 reqId);

    /// @notice Returns an open request's fee to its renter (anyone may call) once it expired ungranted or its
    /// canonical grant proposal is Defeated, Canceled or Expired.
    function refund(uint256 reqId) external;

    /// @notice Pays the caller its share of a granted request's fee:
    /// `fee * getPastVotes(caller, grantBlock) / getPastTotalSupply(grantBlock)`, once per holder.
    /// @return amount The amount paid.
    function claimFee(uint256 reqId) external returns (uint256 amount);

    /// @notice Marks an open, unexpired request granted (AccessRegistry only) and returns it.
    function onGranted(uint256 reqId) external returns (Request memory);

    /// @notice Whether `refund(reqId)` would succeed now.
    function refundable(uint256 reqId) external view returns (bool);

    /// @notice The share of a granted request's fee `holder` can still claim (0 if claimed or not granted).
    function claimableFee(uint256 reqId, address holder) external view returns (uint256);

    /// @notice Whether `holder` has claimed its share of request `reqId`'s fee.
    function feeClaimed(uint256 reqId, address holder) external view returns (bool);

    /// @notice A request; reverts if unknown.
    function request(uint256 reqId) external view returns (Request memory);

    /// @notice The number of requests made (also the highest id).
    function requestCount() external view returns (uint256);

    /// @notice Puts open, unexpired request `reqId`'s canonical grant proposal to the governor, as its proposer.
    /// Permissionless: the renter, a holder or anyone may call it; at most once per request (the governor refuses
    /// an existing proposal id).
    function proposeGrant(uint256 reqId) external returns (uint256 proposalId);

    /// @notice The canonical grant proposal of a request (see the contract doc).
    function grantProposal(uint256 reqId)
        external
        view
        returns (
            address[] memory targets,
            uint256[] memory values,
            bytes[] memory calldatas,
            string memory description
        );

    /// @notice The governor proposal id of a request's canonical grant proposal.
    function grantProposalId(uint256 reqId) external view returns (uint256);

    /// @notice The governor whose proposals decide grants.
    function governor() external view returns (address);

    /// @notice The token whose past votes split granted fees.
    function token() external view returns (address);

    /// @notice The AccessRegistry allowed to report grants.
    function accessRegistry() external view returns (address);

    /// @notice The DatasetConfig used to check dataset ids.
    function datasetConfig() external view returns (address);
}
