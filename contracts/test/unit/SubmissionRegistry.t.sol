// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DatasetConfig} from "../../src/DatasetConfig.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {DKGCoordinator} from "../../src/DKGCoordinator.sol";
import {SubmissionRegistry} from "../../src/SubmissionRegistry.sol";
import {IDatasetConfig} from "../../src/interfaces/IDatasetConfig.sol";
import {IDKGCoordinator} from "../../src/interfaces/IDKGCoordinator.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {MockERC1271Wallet} from "../mocks/MockERC1271Wallet.sol";

/// @notice Config with dataset 1 (genesis 100, S = 50) and an ACTIVE one-member ritual 1.
abstract contract SubmissionRegistryTestBase is Test {
    DatasetConfig internal config;
    ValidatorStaking internal staking;
    DKGCoordinator internal coordinator;
    SubmissionRegistry internal registry;
    address internal owner = makeAddr("timelock");
    address internal validator = makeAddr("validator");
    address internal relayer = makeAddr("relayer");
    address internal contributor;
    uint256 internal contributorKey;

    uint64 internal constant GENESIS = 100;
    uint32 internal constant SUBMIT_BLOCKS = 50;
    bytes32 internal constant TYPEHASH = keccak256(
        "Submission(address contributor,uint256 datasetId,bytes32 fileId,string cid,bytes32 headerHash,bytes32 contentCommitment,uint32 ritualId,uint64 epoch,uint256 nonce,uint256 deadline)"
    );

    function setUp() public virtual {
        vm.roll(GENESIS);
        vm.warp(1_700_000_000);
        (contributor, contributorKey) = makeAddrAndKey("contributor");
        staking = new ValidatorStaking(owner, makeAddr("treasury"), 1 ether, 100);
        config = new DatasetConfig(owner, address(staking));
        coordinator = new DKGCoordinator(owner, staking);
        _deployRegistry();
        _createDataset();
        _activateRitual();
    }

    function _deployRegistry() internal virtual {
        registry = new SubmissionRegistry(config, coordinator);
    }

    function _createDataset() internal {
        IDatasetConfig.Dataset memory d;
        d.name = "dataset";
        d.emissionCap = 1;
        d.genesisBlock = GENESIS;
        d.submitBlocks = SUBMIT_BLOCKS;
        d.commitBlocks = 10;
        d.revealBlocks = 10;
        d.quorumBps = 5000;
        vm.prank(owner);
        config.createDataset(d);
    }

    function _activateRitual() internal returns (uint32 id) {
        if (staking.stakeOf(validator) == 0) {
            vm.deal(validator, 1 ether);
            vm.startPrank(validator);
            staking.stake{value: 1 ether}();
            staking.register(hex"01", "https://share");
            vm.stopPrank();
        }
        vm.prank(owner);
        id = coordinator.initiateRitual(1, 1, 1 days);
        vm.startPrank(validator);
        coordinator.postTranscript(id, "t");
        coordinator.postAggregation(id, keccak256("agg"), hex"beef");
        vm.stopPrank();
    }

    function _submission(uint256 n)
        internal
        view
        returns (ISubmissionRegistry.Submission memory s)
    {
        s.contributor = contributor;
        s.datasetId = 1;
        s.fileId = keccak256(abi.encode("file", n));
        s.cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
        s.headerHash = keccak256(abi.encode("header", n));
        s.contentCommitment = keccak256(abi.encode("content", n));
        s.ritualId = coordinator.activeRitualId();
        s.epoch = config.currentEpoch(1);
        s.nonce = n;
        s.deadline = block.timestamp + 1 hours;
    }

    function _sign(uint256 key, ISubmissionRegistry.Submission memory s)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, registry.hashSubmission(s));
        return abi.encodePacked(r, sig, v);
    }

    function _structHash(ISubmissionRegistry.Submission memory s) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                TYPEHASH,
                s.contributor,
                s.datasetId,
                s.fileId,
                keccak256(bytes(s.cid)),
                s.headerHash,
                s.contentCommitment,
                s.ritualId,
                s.epoch,
                s.nonce,
                s.deadline
            )
        );
    }

    function _domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("DataDAO SubmissionRegistry"),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
    }
}

contract SubmissionRegistryTest is SubmissionRegistryTestBase {
    function _submit(ISubmissionRegistry.Submission memory s) internal {
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        registry.submit(s, sig);
    }

    function _expectSubmitRevert(
        ISubmissionRegistry.Submission memory s,
        bytes memory sig,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(relayer);
        registry.submit(s, sig);
    }

    // ---------------------------------------------------------------- submit

    function test_submit_RecordsRelayedSubmission() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        vm.expectEmit(address(registry));
        emit ISubmissionRegistry.SubmissionRegistered(
            1, 0, s.fileId, contributor, s.cid, s.headerHash, s.contentCommitment, 1
        );
        _submit(s);
        ISubmissionRegistry.SubmissionRecord memory r = registry.submissionOf(s.fileId);
        assertEq(r.contributor, contributor);
        assertEq(r.datasetId, 1);
        assertEq(r.epoch, 0);
        assertEq(r.ritualId, 1);
        assertEq(r.registeredAt, block.number);
        assertEq(r.headerHash, s.headerHash);
        assertEq(r.contentCommitment, s.contentCommitment);
        assertEq(r.cid, s.cid);
        assertTrue(registry.nonceUsed(contributor, 1));
        assertEq(registry.fileIdByCommitment(1, s.contentCommitment), s.fileId);
        assertEq(registry.epochFileCount(1, 0), 1);
        assertEq(registry.epochFiles(1, 0)[0], s.fileId);
    }

    function test_submit_KeepsSubmissionOrderPerEpoch() public {
        ISubmissionRegistry.Submission memory a = _submission(1);
        ISubmissionRegistry.Submission memory b = _submission(2);
        _submit(a);
        _submit(b);
        vm.roll(GENESIS + SUBMIT_BLOCKS);
        ISubmissionRegistry.Submission memory c = _submission(3);
        assertEq(c.epoch, 1);
        _submit(c);
        bytes32[] memory e0 = registry.epochFiles(1, 0);
        assertEq(e0.length, 2);
        assertEq(e0[0], a.fileId);
        assertEq(e0[1], b.fileId);
        assertEq(registry.epochFiles(1, 1)[0], c.fileId);
        assertEq(registry.epochFileCount(1, 2), 0);
    }

    function test_submit_AcceptsAtTheDeadline() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.deadline = block.timestamp;
        _submit(s);
        assertEq(registry.epochFileCount(1, 0), 1);
    }

    function test_submit_AcceptsERC1271Contributor() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.contributor = address(wallet);
        bytes memory sig = _sign(contributorKey, s);
        registry.submit(s, sig);
        assertEq(registry.submissionOf(s.fileId).contributor, address(wallet));
    }

    function test_submit_SameContentInAnotherDatasetIsAllowed() public {
        _createDataset(); // dataset 2, same timing
        ISubmissionRegistry.Submission memory a = _submission(1);
        _submit(a);
        ISubmissionRegistry.Submission memory b = _submission(2);
        b.datasetId = 2;
        b.contentCommitment = a.contentCommitment;
        _submit(b);
        assertEq(registry.fileIdByCommitment(2, a.contentCommitment), b.fileId);
    }

    function test_submit_UsesTheNewestActiveRitual() public {
        uint32 second = _activateRitual();
        ISubmissionRegistry.Submission memory s = _submission(1);
        assertEq(s.ritualId, second);
        _submit(s);
        s = _submission(2);
        s.ritualId = 1;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryRitualNotActive.selector, 1, second
            )
        );
    }

    function test_submit_RevertWhen_UnknownDataset() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.datasetId = 2;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryUnknownDataset.selector, 2)
        );
    }

    function test_submit_RevertWhen_Expired() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.deadline = block.timestamp - 1;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryExpired.selector,
                block.timestamp - 1,
                block.timestamp
            )
        );
    }

    function test_submit_RevertWhen_EmptyCid() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.cid = "";
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryEmptyCid.selector)
        );
    }

    function test_submit_RevertWhen_ZeroFileId() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.fileId = bytes32(0);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryZeroFileId.selector)
        );
    }

    function test_submit_RevertWhen_PastEpoch() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        vm.roll(GENESIS + SUBMIT_BLOCKS);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryWrongEpoch.selector, 0, 1)
        );
    }

    function test_submit_RevertWhen_FutureEpoch() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.epoch = 1;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryWrongEpoch.selector, 1, 0)
        );
    }

    function test_submit_RevertWhen_BeforeGenesis() public {
        ISubmissionRegistry.Submission memory s = _submission(1); // built at genesis (epoch 0)
        vm.roll(GENESIS - 1);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBeforeGenesis.selector, 1, GENESIS)
        );
    }

    function test_submit_RevertWhen_RitualNotActive() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.ritualId = 2;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryRitualNotActive.selector, 2, 1
            )
        );
    }

    function test_submit_RevertWhen_NoActiveRitual() public {
        DKGCoordinator fresh = new DKGCoordinator(owner, staking);
        registry = new SubmissionRegistry(config, fresh);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.ritualId = 0;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryRitualNotActive.selector, 0, 0
            )
        );
    }

    function test_submit_RevertWhen_SignedByAnotherKey() public {
        (, uint256 otherKey) = makeAddrAndKey("mallory");
        ISubmissionRegistry.Submission memory s = _submission(1);
        _expectSubmitRevert(
            s,
            _sign(otherKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
    }

    function test_submit_RevertWhen_FieldTamperedAfterSigning() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        s.cid = "bafy-attacker";
        _expectSubmitRevert(
            s,
            sig,
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
    }

    function test_submit_RevertWhen_MalformedSignature() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        _expectSubmitRevert(
            s,
            hex"1234",
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
    }

    function test_submit_RevertWhen_ERC1271WalletRejects() public {
        (, uint256 otherKey) = makeAddrAndKey("mallory");
        MockERC1271Wallet wallet = new MockERC1271Wallet(contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.contributor = address(wallet);
        _expectSubmitRevert(
            s,
            _sign(otherKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, address(wallet)
            )
        );
    }

    function test_submit_RevertWhen_NonceUsed() public {
        _submit(_submission(1));
        ISubmissionRegistry.Submission memory s = _submission(2);
        s.nonce = 1;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryNonceUsed.selector, contributor, 1
            )
        );
    }

    function test_submit_RevertWhen_Replayed() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        registry.submit(s, sig);
        _expectSubmitRevert(
            s,
            sig,
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryNonceUsed.selector, contributor, 1
            )
        );
    }

    function test_submit_RevertWhen_EpochFull() public {
        uint256 limit = registry.MAX_FILES_PER_EPOCH();
        for (uint256 n = 1; n <= limit; ++n) {
            _submit(_submission(n));
        }
        assertEq(registry.epochFileCount(1, config.currentEpoch(1)), limit);
        ISubmissionRegistry.Submission memory s = _submission(limit + 1);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryEpochFull.selector, 1, s.epoch, limit
            )
        );
    }

    function test_submit_RevertWhen_DuplicateFileId() public {
        ISubmissionRegistry.Submission memory a = _submission(1);
        _submit(a);
        ISubmissionRegistry.Submission memory s = _submission(2);
        s.fileId = a.fileId;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, a.fileId
            )
        );
    }

    function test_submit_RevertWhen_DuplicateContentInDataset() public {
        ISubmissionRegistry.Submission memory a = _submission(1);
        _submit(a);
        vm.roll(GENESIS + SUBMIT_BLOCKS * 3); // a later epoch does not help
        ISubmissionRegistry.Submission memory s = _submission(2);
        s.contentCommitment = a.contentCommitment;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateContent.selector,
                1,
                a.contentCommitment,
                a.fileId
            )
        );
    }

    // ---------------------------------------------------------------- invalidateNonce

    function test_invalidateNonce_BlocksASignedSubmission() public {
        ISubmissionRegistry.Submission memory s = _submission(5);
        bytes memory sig = _sign(contributorKey, s);
        vm.expectEmit(address(registry));
        emit ISubmissionRegistry.NonceInvalidated(contributor, 5);
        vm.prank(contributor);
        registry.invalidateNonce(5);
        assertTrue(registry.nonceUsed(contributor, 5));
        _expectSubmitRevert(
            s,
            sig,
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryNonceUsed.selector, contributor, 5
            )
        );
    }

    function test_invalidateNonce_RevertWhen_AlreadyUsed() public {
        _submit(_submission(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryNonceUsed.selector, contributor, 1
            )
        );
        vm.prank(contributor);
        registry.invalidateNonce(1);
    }

    // ---------------------------------------------------------------- views

    function test_submissionOf_RevertWhen_UnknownFile() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownFile.selector, bytes32(uint256(1))
            )
        );
        registry.submissionOf(bytes32(uint256(1)));
    }

    function test_hashSubmission_MatchesManualEip712() public view {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes32 expected = keccak256(
            abi.encodePacked("\x19\x01", _domainSeparator(address(registry)), _structHash(s))
        );
        assertEq(registry.hashSubmission(s), expected);
        assertEq(registry.DOMAIN_SEPARATOR(), _domainSeparator(address(registry)));
        assertEq(registry.SUBMISSION_TYPEHASH(), TYPEHASH);
    }

    function test_hashSubmission_BindsChainId() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes32 before = registry.hashSubmission(s);
        vm.chainId(8453);
        assertTrue(registry.hashSubmission(s) != before);
    }

    function test_eip712Domain_ReportsNameAndVersion() public view {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            registry.eip712Domain();
        assertEq(name, "DataDAO SubmissionRegistry");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(registry));
        assertEq(address(registry.config()), address(config));
        assertEq(address(registry.coordinator()), address(coordinator));
    }
}
