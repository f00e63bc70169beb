// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DatasetConfig} from "../../src/DatasetConfig.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {DKGCoordinator} from "../../src/DKGCoordinator.sol";
import {SubmissionRegistry} from "../../src/SubmissionRegistry.sol";
import {IDatasetConfig} from "../../src/interfaces/IDatasetConfig.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {MockERC1271Wallet} from "../mocks/MockERC1271Wallet.sol";
import {EthRejecter} from "../mocks/EthRejecter.sol";

/// @notice Config with dataset 1 (genesis 100, S = 50, bond 0.01 ETH), an ACTIVE one-member ritual 1, and a
/// registry whose RewardDistributor is the plain address `distributor` (so bond releases can be driven directly).
abstract contract SubmissionRegistryTestBase is Test {
    DatasetConfig internal config;
    ValidatorStaking internal staking;
    DKGCoordinator internal coordinator;
    SubmissionRegistry internal registry;
    address internal owner = makeAddr("timelock");
    address internal validator = makeAddr("validator");
    address internal relayer = makeAddr("relayer");
    address internal distributor = makeAddr("distributor");
    address internal contributor;
    uint256 internal contributorKey;

    uint64 internal constant GENESIS = 100;
    uint32 internal constant SUBMIT_BLOCKS = 50;
    uint256 internal constant BOND = 0.01 ether;
    bytes32 internal constant TYPEHASH = keccak256(
        "Submission(address contributor,uint256 datasetId,string cid,bytes32 headerHash,bytes32 contentCommitment,uint32 ritualId,uint64 epoch,uint256 deadline)"
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
        vm.deal(relayer, 1000 ether);
    }

    function _deployRegistry() internal virtual {
        registry = new SubmissionRegistry(config, coordinator, distributor);
    }

    /// @dev Dataset with the shared timing and `BOND`; returns its id.
    function _createDataset() internal returns (uint256 id) {
        IDatasetConfig.Dataset memory d;
        d.name = "dataset";
        d.emissionCap = 1;
        d.genesisBlock = GENESIS;
        d.submitBlocks = SUBMIT_BLOCKS;
        d.commitBlocks = 10;
        d.revealBlocks = 10;
        d.quorumBps = 5000;
        vm.startPrank(owner);
        id = config.createDataset(d);
        config.setSubmissionBond(id, BOND);
        vm.stopPrank();
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

    /// @dev `contributor`'s n-th sealing: a fresh header hash and content commitment per n.
    function _submission(uint256 n)
        internal
        view
        returns (ISubmissionRegistry.Submission memory s)
    {
        s.contributor = contributor;
        s.datasetId = 1;
        s.cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
        s.headerHash = keccak256(abi.encode("header", n));
        s.contentCommitment = keccak256(abi.encode("content", n));
        s.ritualId = coordinator.activeRitualId();
        s.epoch = config.currentEpoch(1);
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
                keccak256(bytes(s.cid)),
                s.headerHash,
                s.contentCommitment,
                s.ritualId,
                s.epoch,
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
                keccak256("2"),
                block.chainid,
                verifyingContract
            )
        );
    }

    /// @dev The id the registry must derive, computed here independently of `fileIdOf`.
    function _fileId(address who, bytes32 headerHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(who, headerHash));
    }
}

contract SubmissionRegistryTest is SubmissionRegistryTestBase {
    address internal attacker;
    uint256 internal attackerKey;

    function setUp() public override {
        super.setUp();
        (attacker, attackerKey) = makeAddrAndKey("attacker");
        vm.deal(attacker, 1000 ether);
    }

    /// @dev Relays `s` signed by `contributorKey`, paying the bond as `relayer`.
    function _submit(ISubmissionRegistry.Submission memory s) internal returns (bytes32) {
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        return registry.submit{value: BOND}(s, sig);
    }

    function _expectSubmitRevert(
        ISubmissionRegistry.Submission memory s,
        bytes memory sig,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(relayer);
        registry.submit{value: BOND}(s, sig);
    }

    /// @dev The attacker's copy of `s`: same sealed header, cid and content, attacker as contributor, signed
    /// by the attacker (what a mempool watcher can build from Alice's pending transaction).
    function _copyAsAttacker(ISubmissionRegistry.Submission memory s)
        internal
        view
        returns (ISubmissionRegistry.Submission memory c, bytes memory sig)
    {
        c = ISubmissionRegistry.Submission({
            contributor: attacker,
            datasetId: s.datasetId,
            cid: s.cid,
            headerHash: s.headerHash,
            contentCommitment: s.contentCommitment,
            ritualId: s.ritualId,
            epoch: s.epoch,
            deadline: s.deadline
        });
        sig = _sign(attackerKey, c);
    }

    // ---------------------------------------------------------------- front-running (hostile first)

    function test_frontRun_CopyBeforeAliceLandsUnderAnotherFileIdAndAliceStillSubmits() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory aliceSig = _sign(contributorKey, s);
        (ISubmissionRegistry.Submission memory c, bytes memory attackerSig) = _copyAsAttacker(s);

        // the copy is mined first
        vm.prank(attacker);
        bytes32 copyId = registry.submit{value: BOND}(c, attackerSig);
        assertEq(copyId, _fileId(attacker, s.headerHash));
        assertTrue(copyId != _fileId(contributor, s.headerHash), "copy took Alice's id");
        assertFalse(registry.exists(_fileId(contributor, s.headerHash)));

        // Alice's own transaction still lands, under her id, with her as the owner
        vm.prank(relayer);
        bytes32 aliceId = registry.submit{value: BOND}(s, aliceSig);
        assertEq(aliceId, _fileId(contributor, s.headerHash));
        assertEq(registry.submissionOf(aliceId).contributor, contributor);
        assertEq(registry.submissionOf(copyId).contributor, attacker);
        assertTrue(registry.contentSubmitted(1, contributor, s.contentCommitment));
        assertTrue(registry.contentSubmitted(1, attacker, s.contentCommitment));
        assertEq(address(registry).balance, 2 * BOND);
    }

    function test_frontRun_CopyAfterAliceLandsUnderAnotherFileId() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes32 aliceId = _submit(s);
        (ISubmissionRegistry.Submission memory c, bytes memory attackerSig) = _copyAsAttacker(s);
        vm.prank(attacker);
        bytes32 copyId = registry.submit{value: BOND}(c, attackerSig);
        assertEq(copyId, _fileId(attacker, s.headerHash));
        assertTrue(copyId != aliceId);
        // Alice's record is untouched by the copy
        ISubmissionRegistry.SubmissionRecord memory r = registry.submissionOf(aliceId);
        assertEq(r.contributor, contributor);
        assertEq(r.bond, BOND);
    }

    function test_frontRun_AttackerCannotRegisterAlicesIdWithItsOwnKey() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes32 aliceId = _fileId(contributor, s.headerHash);
        bytes memory attackerSig = _sign(attackerKey, s);
        // Alice as contributor, signed by the attacker: refused
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
        vm.prank(attacker);
        registry.submit{value: BOND}(s, attackerSig);
        // the copy naming the attacker, carrying Alice's signature (of her own struct): refused
        (ISubmissionRegistry.Submission memory c,) = _copyAsAttacker(s);
        bytes memory aliceSigOverCopy = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, attacker
            )
        );
        vm.prank(attacker);
        registry.submit{value: BOND}(c, aliceSigOverCopy);
        assertFalse(registry.exists(aliceId));
        assertEq(address(registry).balance, 0);
        // with a header hash of its choice the attacker still derives an id bound to its own address
        assertTrue(registry.fileIdOf(attacker, s.headerHash) != aliceId);
        assertEq(registry.fileIdOf(contributor, s.headerHash), aliceId);
    }

    function test_frontRun_RelayingAlicesExactSubmissionRegistersItForAlice() public {
        // The only way to Alice's id is Alice's own signed struct: relaying it pays the bond for her and
        // records her as the contributor (the bond is refunded to her, never to the relayer).
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory aliceSig = _sign(contributorKey, s);
        uint256 before = attacker.balance;
        vm.prank(attacker);
        bytes32 id = registry.submit{value: BOND}(s, aliceSig);
        assertEq(id, _fileId(contributor, s.headerHash));
        assertEq(registry.submissionOf(id).contributor, contributor);
        assertEq(attacker.balance, before - BOND);
        _expectSubmitRevert(
            s,
            aliceSig,
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, id
            )
        );
    }

    // ---------------------------------------------------------------- duplicates and replays

    function test_submit_StrangerRegisteringAlicesContentDoesNotBlockAlice() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        // a stranger seals its own header over Alice's content commitment (e.g. learnt off chain)
        (ISubmissionRegistry.Submission memory c,) = _copyAsAttacker(s);
        c.headerHash = keccak256("attacker's own header");
        bytes memory attackerSig = _sign(attackerKey, c);
        vm.prank(attacker);
        registry.submit{value: BOND}(c, attackerSig);
        assertTrue(registry.contentSubmitted(1, attacker, s.contentCommitment));
        assertFalse(registry.contentSubmitted(1, contributor, s.contentCommitment));

        bytes32 id = _submit(s);
        assertEq(registry.submissionOf(id).contributor, contributor);
        assertTrue(registry.contentSubmitted(1, contributor, s.contentCommitment));
    }

    function test_submit_RevertWhen_SameContributorSameContentTwice() public {
        ISubmissionRegistry.Submission memory a = _submission(1);
        _submit(a);
        ISubmissionRegistry.Submission memory b = _submission(2); // a new sealing of the same content
        b.contentCommitment = a.contentCommitment;
        _expectSubmitRevert(
            b,
            _sign(contributorKey, b),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateContent.selector,
                1,
                contributor,
                a.contentCommitment
            )
        );
        // a later epoch does not help either
        vm.roll(GENESIS + SUBMIT_BLOCKS * 3);
        b = _submission(3);
        b.contentCommitment = a.contentCommitment;
        _expectSubmitRevert(
            b,
            _sign(contributorKey, b),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateContent.selector,
                1,
                contributor,
                a.contentCommitment
            )
        );
    }

    function test_submit_SameContentInAnotherDatasetIsAllowed() public {
        uint256 second = _createDataset();
        ISubmissionRegistry.Submission memory a = _submission(1);
        _submit(a);
        ISubmissionRegistry.Submission memory b = _submission(2);
        b.datasetId = second;
        b.contentCommitment = a.contentCommitment;
        bytes32 id = _submit(b);
        assertEq(registry.submissionOf(id).datasetId, second);
        assertTrue(registry.contentSubmitted(second, contributor, a.contentCommitment));
    }

    function test_submit_RevertWhen_SignatureReplayed() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        bytes32 id = registry.submit{value: BOND}(s, sig);
        _expectSubmitRevert(
            s,
            sig,
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, id
            )
        );
        // re-signing the same header with other content is the same id too
        ISubmissionRegistry.Submission memory t = _submission(1);
        t.contentCommitment = keccak256("other content");
        t.cid = "bafy-other";
        _expectSubmitRevert(
            t,
            _sign(contributorKey, t),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, id
            )
        );
        assertEq(address(registry).balance, BOND);
    }

    // ---------------------------------------------------------------- bond

    function _expectWrongBond(uint256 value) internal {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryWrongBond.selector, BOND, value
            )
        );
        vm.prank(relayer);
        registry.submit{value: value}(s, sig);
    }

    function test_submit_RevertWhen_NoBond() public {
        _expectWrongBond(0);
    }

    function test_submit_RevertWhen_BondTooLow() public {
        _expectWrongBond(BOND - 1);
    }

    function test_submit_RevertWhen_BondTooHigh() public {
        _expectWrongBond(BOND + 1);
    }

    function test_submit_ZeroBondDatasetTakesNoValue() public {
        vm.prank(owner);
        config.setSubmissionBond(1, 0);
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryWrongBond.selector, 0, 1)
        );
        vm.prank(relayer);
        registry.submit{value: 1}(s, sig);
        vm.prank(relayer);
        bytes32 id = registry.submit(s, sig);
        assertEq(registry.submissionOf(id).bond, 0);
        assertEq(address(registry).balance, 0);
    }

    function test_submit_RegistryHoldsTheBondAndTheRecordStoresIt() public {
        uint256 relayerBefore = relayer.balance;
        bytes32 a = _submit(_submission(1));
        bytes32 b = _submit(_submission(2));
        assertEq(address(registry).balance, 2 * BOND);
        assertEq(relayer.balance, relayerBefore - 2 * BOND);
        assertEq(registry.submissionOf(a).bond, BOND);
        assertEq(registry.submissionOf(b).bond, BOND);
    }

    function test_submit_BondChangeAppliesToLaterSubmissionsOnly() public {
        bytes32 a = _submit(_submission(1));
        vm.prank(owner);
        config.setSubmissionBond(1, 2 * BOND);
        ISubmissionRegistry.Submission memory s = _submission(2);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryWrongBond.selector, 2 * BOND, BOND
            )
        );
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        bytes32 b = registry.submit{value: 2 * BOND}(s, sig);
        assertEq(registry.submissionOf(a).bond, BOND);
        assertEq(registry.submissionOf(b).bond, 2 * BOND);
        assertEq(address(registry).balance, 3 * BOND);
    }

    // ---------------------------------------------------------------- releaseBond

    function test_releaseBond_RevertWhen_NotTheDistributor() public {
        bytes32 id = _submit(_submission(1));
        address[4] memory callers = [attacker, contributor, owner, relayer];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISubmissionRegistry.SubmissionRegistryNotRewardDistributor.selector, callers[i]
                )
            );
            vm.prank(callers[i]);
            registry.releaseBond(id, callers[i]);
        }
        assertEq(address(registry).balance, BOND);
        assertEq(registry.submissionOf(id).bond, BOND);
    }

    function test_releaseBond_RevertWhen_UnknownFile() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownFile.selector, bytes32(uint256(7))
            )
        );
        vm.prank(distributor);
        registry.releaseBond(bytes32(uint256(7)), contributor);
    }

    function test_releaseBond_RevertWhen_RecipientRefusesEth() public {
        bytes32 id = _submit(_submission(1));
        address rejecter = address(new EthRejecter());
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryBondTransferFailed.selector, id, rejecter
            )
        );
        vm.prank(distributor);
        registry.releaseBond(id, rejecter);
        assertEq(registry.submissionOf(id).bond, BOND, "the bond stays for a later release");
        assertEq(address(registry).balance, BOND);
    }

    function test_releaseBond_SendsTheBondOnceByTheDistributor() public {
        bytes32 id = _submit(_submission(1));
        uint256 before = contributor.balance;
        vm.expectEmit(address(registry));
        emit ISubmissionRegistry.BondReleased(id, contributor, BOND);
        vm.prank(distributor);
        registry.releaseBond(id, contributor);
        assertEq(contributor.balance, before + BOND);
        assertEq(address(registry).balance, 0);
        assertEq(registry.submissionOf(id).bond, 0);
        // a second release sends nothing (and does not revert: the distributor's own checks gate it)
        vm.recordLogs();
        vm.prank(distributor);
        registry.releaseBond(id, contributor);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(contributor.balance, before + BOND);
    }

    function test_releaseBond_OnlyTakesThatFilesBond() public {
        bytes32 a = _submit(_submission(1));
        bytes32 b = _submit(_submission(2));
        address treasury = makeAddr("treasury-sink");
        vm.prank(distributor);
        registry.releaseBond(a, treasury);
        assertEq(treasury.balance, BOND);
        assertEq(address(registry).balance, BOND);
        assertEq(registry.submissionOf(b).bond, BOND);
    }

    // ---------------------------------------------------------------- refused submissions

    function test_submit_RevertWhen_UnknownDataset() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.datasetId = 2;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(ISubmissionRegistry.SubmissionRegistryUnknownDataset.selector, 2)
        );
    }

    function test_submit_RevertWhen_DatasetIdBeyondUint96() public {
        // the record narrows datasetId to uint96: ids that do not fit never exist in the config
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.datasetId = uint256(type(uint96).max) + 2;
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownDataset.selector, s.datasetId
            )
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

    function test_submit_AcceptsAtTheDeadline() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.deadline = block.timestamp;
        assertTrue(registry.exists(_submit(s)));
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

    function test_submit_RevertWhen_NoActiveRitual() public {
        DKGCoordinator fresh = new DKGCoordinator(owner, staking);
        registry = new SubmissionRegistry(config, fresh, distributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.ritualId = 0; // matches the fresh coordinator's "no ritual"
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryRitualNotActive.selector, 0, 0
            )
        );
    }

    function test_submit_RevertWhen_SignedByAnotherKey() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        _expectSubmitRevert(
            s,
            _sign(attackerKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
    }

    function test_submit_RevertWhen_FieldTamperedAfterSigning() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        bytes memory err = abi.encodeWithSelector(
            ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
        );
        ISubmissionRegistry.Submission memory t = _submission(1);
        t.cid = "bafy-attacker";
        _expectSubmitRevert(t, sig, err);
        t = _submission(1);
        t.headerHash = keccak256("another header");
        _expectSubmitRevert(t, sig, err);
        t = _submission(1);
        t.contentCommitment = keccak256("another content");
        _expectSubmitRevert(t, sig, err);
        t = _submission(1);
        t.deadline += 1;
        _expectSubmitRevert(t, sig, err);
    }

    function test_submit_RevertWhen_MalformedSignature() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory err = abi.encodeWithSelector(
            ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
        );
        _expectSubmitRevert(s, hex"1234", err);
        _expectSubmitRevert(s, "", err);
        _expectSubmitRevert(s, new bytes(65), err);
        bytes memory huge = new bytes(10_000);
        _expectSubmitRevert(s, huge, err);
    }

    function test_submit_RevertWhen_HighSSignature() public {
        // the malleable twin of a valid signature (s' = n - s, v flipped) is refused by OpenZeppelin's ECDSA
        ISubmissionRegistry.Submission memory s = _submission(1);
        (uint8 v, bytes32 r, bytes32 sv) = vm.sign(contributorKey, registry.hashSubmission(s));
        bytes32 highS = bytes32(SECP256K1_ORDER - uint256(sv));
        _expectSubmitRevert(
            s,
            abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27)),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
    }

    function test_submit_AcceptsERC1271Contributor() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.contributor = address(wallet);
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        bytes32 id = registry.submit{value: BOND}(s, sig);
        assertEq(id, _fileId(address(wallet), s.headerHash));
        assertEq(registry.submissionOf(id).contributor, address(wallet));
    }

    function test_submit_RevertWhen_ERC1271WalletRejects() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.contributor = address(wallet);
        _expectSubmitRevert(
            s,
            _sign(attackerKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, address(wallet)
            )
        );
    }

    function test_submit_RevertWhen_ContributorIsAContractWithoutERC1271() public {
        // the key's owner cannot pass off a signature for a contract address that is not its wallet
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.contributor = address(config);
        _expectSubmitRevert(
            s,
            _sign(contributorKey, s),
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, address(config)
            )
        );
    }

    // ---------------------------------------------------------------- happy paths

    function test_submit_RecordsRelayedSubmission() public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes32 expectedId = _fileId(contributor, s.headerHash);
        vm.expectEmit(address(registry));
        emit ISubmissionRegistry.SubmissionRegistered(
            1, 0, expectedId, contributor, s.cid, s.headerHash, s.contentCommitment, 1, BOND
        );
        bytes32 id = _submit(s);
        assertEq(id, expectedId);
        assertEq(id, registry.fileIdOf(contributor, s.headerHash));
        assertTrue(registry.exists(id));
        ISubmissionRegistry.SubmissionRecord memory r = registry.submissionOf(id);
        assertEq(r.contributor, contributor);
        assertEq(r.datasetId, 1);
        assertEq(r.epoch, 0);
        assertEq(r.ritualId, 1);
        assertEq(r.bond, BOND);
        assertEq(r.registeredAt, block.number);
        assertTrue(registry.contentSubmitted(1, contributor, s.contentCommitment));
        assertFalse(registry.contentSubmitted(1, relayer, s.contentCommitment));
    }

    function test_submit_RecordsTheEpochItWasSubmittedIn() public {
        vm.roll(GENESIS + 4 * SUBMIT_BLOCKS + 7);
        ISubmissionRegistry.Submission memory s = _submission(1);
        assertEq(s.epoch, 4);
        ISubmissionRegistry.SubmissionRecord memory r = registry.submissionOf(_submit(s));
        assertEq(r.epoch, 4);
        assertEq(r.registeredAt, GENESIS + 4 * SUBMIT_BLOCKS + 7);
    }

    function test_submit_NoEpochCap() public {
        uint256 n = 300; // v1 refused the 257th file of an epoch
        for (uint256 i = 1; i <= n; ++i) {
            _submit(_submission(i));
        }
        assertEq(config.currentEpoch(1), 0);
        assertEq(address(registry).balance, n * BOND);
        assertTrue(registry.exists(_fileId(contributor, keccak256(abi.encode("header", n)))));
        assertTrue(registry.exists(_fileId(contributor, keccak256(abi.encode("header", 257)))));
    }

    // ---------------------------------------------------------------- views

    function test_submissionOf_RevertWhen_UnknownFile() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownFile.selector, bytes32(uint256(1))
            )
        );
        registry.submissionOf(bytes32(uint256(1)));
        assertFalse(registry.exists(bytes32(uint256(1))));
    }

    function test_fileIdOf_IsKeccakOfContributorAndHeaderHash() public view {
        bytes32 h = keccak256("header");
        assertEq(registry.fileIdOf(contributor, h), keccak256(abi.encode(contributor, h)));
        assertEq(
            registry.fileIdOf(contributor, h),
            keccak256(bytes.concat(bytes12(0), bytes20(contributor), h))
        );
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
        assertEq(version, "2");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(registry));
        assertEq(address(registry.config()), address(config));
        assertEq(address(registry.coordinator()), address(coordinator));
        assertEq(registry.rewardDistributor(), distributor);
    }
}
