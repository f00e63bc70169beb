// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {stdJson} from "forge-std/StdJson.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SubmissionRegistry} from "../../src/SubmissionRegistry.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {SubmissionRegistryTestBase} from "./SubmissionRegistry.t.sol";

/// @notice Asserts tests/vectors/submission_eip712_v2.json, which the Python chain layer asserts too: every
/// vector's struct hash, digest, signature and derived file id, and that the submittable vectors register
/// under exactly that file id.
contract SubmissionRegistryVectorsTest is SubmissionRegistryTestBase {
    using stdJson for string;

    string internal constant VECTORS = "../tests/vectors/submission_eip712_v2.json";
    address internal constant ANVIL_ACCOUNT_0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;

    string internal json;
    address internal verifyingContract;

    function setUp() public override {
        json = vm.readFile(VECTORS);
        verifyingContract = json.readAddress(".domain.verifying_contract");
        vm.chainId(json.readUint(".domain.chain_id"));
        super.setUp();
    }

    /// Places the registry at the vectors' verifying contract, so its domain is theirs.
    function _deployRegistry() internal override {
        deployCodeTo(
            "SubmissionRegistry.sol:SubmissionRegistry",
            abi.encode(config, coordinator, distributor),
            verifyingContract
        );
        registry = SubmissionRegistry(verifyingContract);
    }

    function _vector(uint256 i) internal pure returns (string memory p) {
        p = string.concat(".vectors[", vm.toString(i), "]");
    }

    function _count() internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, _vector(n))) ++n;
    }

    /// @dev The vector named `name`'s index; fails the test if absent.
    function _named(string memory name) internal view returns (string memory) {
        uint256 n = _count();
        for (uint256 i; i < n; ++i) {
            string memory p = _vector(i);
            if (
                keccak256(bytes(json.readString(string.concat(p, ".name"))))
                    == keccak256(bytes(name))
            ) {
                return p;
            }
        }
        revert(string.concat("no vector named ", name));
    }

    /// @dev Integers are decimal strings in the file (they may exceed 2^53).
    function _uint(string memory key) internal view returns (uint256) {
        return vm.parseUint(json.readString(key));
    }

    function _load(string memory p)
        internal
        view
        returns (ISubmissionRegistry.Submission memory s)
    {
        string memory q = string.concat(p, ".submission");
        s.contributor = json.readAddress(string.concat(q, ".contributor"));
        s.datasetId = _uint(string.concat(q, ".dataset_id"));
        s.cid = json.readString(string.concat(q, ".cid"));
        s.headerHash = json.readBytes32(string.concat(q, ".header_hash"));
        s.contentCommitment = json.readBytes32(string.concat(q, ".content_commitment"));
        s.ritualId = uint32(_uint(string.concat(q, ".ritual_id")));
        s.epoch = uint64(_uint(string.concat(q, ".epoch")));
        s.deadline = _uint(string.concat(q, ".deadline"));
        // the narrowing casts above must not have lost anything
        assertEq(s.ritualId, _uint(string.concat(q, ".ritual_id")), "ritual_id fits uint32");
        assertEq(s.epoch, _uint(string.concat(q, ".epoch")), "epoch fits uint64");
    }

    function _submitVector(string memory p) internal returns (bytes32 id) {
        ISubmissionRegistry.Submission memory s = _load(p);
        bytes memory signature = json.readBytes(string.concat(p, ".signature"));
        vm.prank(relayer);
        id = registry.submit{value: BOND}(s, signature);
        assertEq(id, json.readBytes32(string.concat(p, ".file_id")), "submit returns file_id");
        assertEq(registry.submissionOf(id).contributor, s.contributor);
    }

    function test_vectors_DomainAndTypehash() public view {
        assertEq(json.readUint(".version"), 2);
        assertEq(block.chainid, 31337);
        assertEq(json.readString(".domain.name"), "DataDAO SubmissionRegistry");
        assertEq(json.readString(".domain.version"), "2");
        assertEq(vm.computeCreateAddress(ANVIL_ACCOUNT_0, 0), verifyingContract);
        assertEq(keccak256(bytes(json.readString(".type_string"))), TYPEHASH);
        assertEq(json.readBytes32(".typehash"), TYPEHASH);
        assertEq(registry.SUBMISSION_TYPEHASH(), TYPEHASH);
        assertEq(json.readBytes32(".domain_separator"), _domainSeparator(verifyingContract));
        assertEq(registry.DOMAIN_SEPARATOR(), _domainSeparator(verifyingContract));
    }

    /// Every vector, submittable or not: struct hash, digest (ours and the registry's), signature and
    /// file id (ours and the registry's).
    function test_vectors_HashesSignaturesAndFileIds() public view {
        uint256 n = _count();
        assertGe(n, 4, "vector count");
        for (uint256 i = 0; i < n; ++i) {
            string memory p = _vector(i);
            ISubmissionRegistry.Submission memory s = _load(p);
            uint256 key = json.readUint(string.concat(p, ".private_key"));
            assertEq(vm.addr(key), s.contributor, "contributor is the key's address");

            bytes32 structHash = _structHash(s);
            assertEq(structHash, json.readBytes32(string.concat(p, ".struct_hash")), "struct_hash");
            bytes32 digest = json.readBytes32(string.concat(p, ".digest"));
            assertEq(
                keccak256(
                    abi.encodePacked("\x19\x01", _domainSeparator(verifyingContract), structHash)
                ),
                digest,
                "digest"
            );
            assertEq(registry.hashSubmission(s), digest, "hashSubmission");

            bytes memory signature = json.readBytes(string.concat(p, ".signature"));
            (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, digest);
            assertEq(abi.encodePacked(r, sig, v), signature, "vm.sign reproduces the signature");
            assertEq(ECDSA.recover(digest, signature), s.contributor);

            bytes32 fileId = json.readBytes32(string.concat(p, ".file_id"));
            assertEq(_fileId(s.contributor, s.headerHash), fileId, "file_id");
            assertEq(registry.fileIdOf(s.contributor, s.headerHash), fileId, "fileIdOf");
        }
    }

    /// `basic` and its copy signed by another contributor over the same header both register, under two ids.
    function test_vectors_BasicAndItsOtherContributorCopySubmitEndToEnd() public {
        string memory basic = _named("basic");
        string memory copy = _named("same_header_other_contributor");
        ISubmissionRegistry.Submission memory s = _load(basic);
        assertEq(s.datasetId, 1);
        assertEq(s.epoch, config.currentEpoch(1));
        assertEq(s.ritualId, coordinator.activeRitualId());
        assertEq(_load(copy).headerHash, s.headerHash);

        bytes32 copyId = _submitVector(copy); // the copy first: it cannot take basic's id
        bytes32 basicId = _submitVector(basic);
        assertTrue(copyId != basicId);
        assertEq(address(registry).balance, 2 * BOND);
    }

    function test_vectors_SecondContributorEpoch7SubmitsEndToEnd() public {
        string memory p = _named("second_contributor_epoch_7");
        ISubmissionRegistry.Submission memory s = _load(p);
        assertEq(s.datasetId, 1);
        vm.roll(GENESIS + uint256(s.epoch) * SUBMIT_BLOCKS);
        while (coordinator.activeRitualId() < s.ritualId) _activateRitual();
        assertEq(coordinator.activeRitualId(), s.ritualId);
        assertLe(block.timestamp, s.deadline);
        bytes32 id = _submitVector(p);
        assertEq(registry.submissionOf(id).epoch, s.epoch);
    }

    /// Its dataset (2^256 - 1) cannot exist, so it cannot be submitted; the registry says so.
    function test_vectors_MaxValuesIsRefusedAsUnknownDataset() public {
        string memory p = _named("max_values_unicode_cid");
        ISubmissionRegistry.Submission memory s = _load(p);
        assertEq(s.datasetId, type(uint256).max);
        bytes memory signature = json.readBytes(string.concat(p, ".signature"));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownDataset.selector, s.datasetId
            )
        );
        vm.prank(relayer);
        registry.submit{value: BOND}(s, signature);
    }
}
