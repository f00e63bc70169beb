// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDatasetConfig
/// @notice Per-dataset configuration of a Data DAO: valuation spec, secret validation set,
/// emission and the block-based epoch timing. Owned by the timelock once deployed.
/// @dev Constructor: `constructor(address initialOwner)`. Dataset ids start at 1.
/// Timing fields (`genesisBlock`, `submitBlocks`, `commitBlocks`, `revealBlocks`) and
/// `emissionCap` are immutable after creation; everything else is changed by the owner only.
/// Epoch `e` of a dataset with genesis `g` and windows `S`, `C`, `R`:
///   submissions in `[g + e*S, g + (e+1)*S)`, `closeBlock = g + (e+1)*S`,
///   commits in `[closeBlock, closeBlock + C)`, reveals in `[closeBlock + C, closeBlock + C + R)`,
///   finalization from `closeBlock + C + R` on.
interface IDatasetConfig {
    /// @notice The configuration of one dataset.
    struct Dataset {
        string name;
        bytes32 valuationSpecDigest; // digest of the ValuationSpec every validator must use
        bytes32 validationSetCommitment; // sha256 of the secret validation set's canonical JSONL
        string validationSetCid; // where the sealed validation set is stored (DDF v1)
        bytes32 validationSetHeaderHash; // keccak256 of its DDF header
        uint256 emissionPerEpoch; // E, governed, <= emissionCap
        uint256 emissionCap; // hard cap, fixed at creation
        uint64 genesisBlock;
        uint32 submitBlocks; // S
        uint32 commitBlocks; // C
        uint32 revealBlocks; // R
        uint16 quorumBps; // share of committee stake that must reveal (e.g. 6667)
        uint16 minScoreBps; // finalized scores below this become 0
        uint16 validatorShareBps; // share of E paid to revealing validators
    }

    /// @notice Thrown when a dataset id has not been created.
    error DatasetConfigUnknownDataset(uint256 datasetId);
    /// @notice Thrown when an emission above the dataset's immutable cap is requested.
    error DatasetConfigEmissionAboveCap(uint256 emissionPerEpoch, uint256 emissionCap);
    /// @notice Thrown when a submit, commit or reveal window of zero blocks is requested.
    error DatasetConfigZeroWindow();
    /// @notice Thrown when a basis-point value exceeds 10000.
    error DatasetConfigBpsOutOfRange(uint256 bps);
    /// @notice Thrown when a quorum of zero basis points is requested.
    error DatasetConfigZeroQuorum();
    /// @notice Thrown when a dataset is created with an empty name.
    error DatasetConfigEmptyName();
    /// @notice Thrown when an epoch's submit + commit + reveal windows exceed the staking's unbonding period:
    /// a validator could then commit, start unbonding and withdraw before finalization slashes a missing reveal.
    error DatasetConfigWindowsExceedUnbonding(uint256 windowBlocks, uint64 unbondingBlocks);
    /// @notice Thrown when the staking address given to the constructor is zero.
    error DatasetConfigZeroStaking();
    /// @notice Thrown when the current epoch is asked for before the dataset's genesis block.
    error DatasetConfigBeforeGenesis(uint256 datasetId, uint64 genesisBlock);
    /// @notice Thrown when a submission bond does not fit the registry's uint96 record.
    error DatasetConfigBondTooLarge(uint256 bond);

    /// @notice Emitted after a dataset is created.
    event DatasetCreated(
        uint256 indexed datasetId,
        string name,
        uint64 genesisBlock,
        uint32 submitBlocks,
        uint32 commitBlocks,
        uint32 revealBlocks,
        uint256 emissionCap
    );
    /// @notice Emitted after a dataset's emission per epoch is changed.
    event EmissionUpdated(uint256 indexed datasetId, uint256 emissionPerEpoch);
    /// @notice Emitted after a dataset's valuation spec digest is changed.
    event ValuationSpecUpdated(uint256 indexed datasetId, bytes32 digest);
    /// @notice Emitted after a dataset's sealed validation set is changed.
    event ValidationSetUpdated(
        uint256 indexed datasetId, bytes32 commitment, string cid, bytes32 headerHash
    );
    /// @notice Emitted after a dataset's quorum and minimum score are changed.
    event ScoringParamsUpdated(uint256 indexed datasetId, uint16 quorumBps, uint16 minScoreBps);
    /// @notice Emitted after a dataset's submission bond is changed.
    event SubmissionBondSet(uint256 indexed datasetId, uint256 bond);

    /// @notice Creates a dataset (owner only). `d.genesisBlock == 0` means "the current block".
    /// @dev Requires a non-empty name, non-zero windows, every bps <= 10000, quorumBps > 0 and
    /// emissionPerEpoch <= emissionCap.
    /// @return datasetId The new id (1, 2, ...).
    function createDataset(Dataset calldata d) external returns (uint256 datasetId);

    /// @notice Sets the emission per epoch (owner only); must not exceed the dataset's cap.
    function setEmission(uint256 datasetId, uint256 emissionPerEpoch) external;

    /// @notice Sets the wei every submission to the dataset pays with `submit` (owner: the timelock).
    /// Returned with a paid claim, forfeited to the treasury when the file is valued 0; it makes spam
    /// cost the spammer. Applies to submissions made after the change.
    function setSubmissionBond(uint256 datasetId, uint256 bond) external;

    /// @notice The few fields finalization reads, without copying the dataset's strings.
    function finalizationParams(uint256 datasetId)
        external
        view
        returns (uint256 emissionPerEpoch, uint16 validatorShareBps, uint16 quorumBps);

    /// @notice The dataset's submission bond in wei.
    function submissionBond(uint256 datasetId) external view returns (uint256);

    /// @notice Sets the valuation spec digest (owner only).
    function setValuationSpec(uint256 datasetId, bytes32 digest) external;

    /// @notice Replaces the sealed validation set (owner only).
    function setValidationSet(
        uint256 datasetId,
        bytes32 commitment,
        string calldata cid,
        bytes32 headerHash
    ) external;

    /// @notice Sets quorum and minimum score (owner only); quorumBps in (0, 10000], minScoreBps <= 10000.
    function setScoringParams(uint256 datasetId, uint16 quorumBps, uint16 minScoreBps) external;

    /// @notice The full configuration of a dataset; reverts if unknown.
    function dataset(uint256 datasetId) external view returns (Dataset memory);

    /// @notice Whether a dataset id has been created.
    function exists(uint256 datasetId) external view returns (bool);

    /// @notice The number of datasets created (also the highest id).
    function datasetCount() external view returns (uint256);

    /// @notice The validator staking whose unbonding period bounds every dataset's epoch windows.
    function staking() external view returns (address);

    /// @notice The epoch accepting submissions at the current block; reverts before genesis.
    function currentEpoch(uint256 datasetId) external view returns (uint64);

    /// @notice The epoch accepting submissions at `blockNumber`; reverts before genesis.
    function epochAt(uint256 datasetId, uint256 blockNumber) external view returns (uint64);

    /// @notice The block windows of an epoch (see the contract doc for their meaning).
    function epochWindows(uint256 datasetId, uint64 epoch)
        external
        view
        returns (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom);
}
