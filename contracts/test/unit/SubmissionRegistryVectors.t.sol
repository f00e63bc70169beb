// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {stdJson} from "forge-std/StdJson.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SubmissionRegistry} from "../../src/SubmissionRegistry.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {SubmissionRegistryTestBase} from "./SubmissionRegistry.t.sol";

/// @notice Asserts tests/vectors/submission_eip712_v1.json, which the Python chain layer asserts too.
contract SubmissionRegistryVectorsTest is SubmissionRegistryTestBase {
    using stdJson for string;

    string internal constant VECTORS = "../tests/vectors/submission_eip712_v1.json";
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
            abi.encode(config, coordinator),
            verifyingContract
        );
        registry = SubmissionRegistry(verifyingContract);
    }

    function _vector(uint256 i) internal view returns (string memory p) {
        p = string.concat(".vectors[", vm.toString(i), "]");
    }

    function _count() internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, _vector(n))) ++n;
    }

    function _load(string memory p)
        internal
        view
        returns (ISubmissionRegistry.Submission memory s)
    {
        string memory q = string.concat(p, ".submission");
        s.contributor = json.readAddress(string.concat(q, ".contributor"));
        s.datasetId = json.readUint(string.concat(q, ".dataset_id"));
        s.fileId = json.readBytes32(string.concat(q, ".file_id"));
        s.cid = json.readString(string.concat(q, ".cid"));
        s.headerHash = json.readBytes32(string.concat(q, ".header_hash"));
        s.contentCommitment = json.readBytes32(string.concat(q, ".content_commitment"));
        s.ritualId = uint32(json.readUint(string.concat(q, ".ritual_id")));
        s.epoch = uint64(json.readUint(string.concat(q, ".epoch")));
        s.nonce = json.readUint(string.concat(q, ".nonce"));
        s.deadline = json.readUint(string.concat(q, ".deadline"));
    }

    function test_vectors_DomainAndTypehash() public view {
        assertEq(json.readUint(".version"), 1);
        assertEq(block.chainid, 31337);
        assertEq(json.readString(".domain.name"), "DataDAO SubmissionRegistry");
        assertEq(json.readString(".domain.version"), "1");
        assertEq(vm.computeCreateAddress(ANVIL_ACCOUNT_0, 0), verifyingContract);
        assertEq(keccak256(bytes(json.readString(".type_string"))), TYPEHASH);
        assertEq(json.readBytes32(".typehash"), TYPEHASH);
        assertEq(registry.SUBMISSION_TYPEHASH(), TYPEHASH);
        assertEq(json.readBytes32(".domain_separator"), _domainSeparator(verifyingContract));
        assertEq(registry.DOMAIN_SEPARATOR(), _domainSeparator(verifyingContract));
    }

    function test_vectors_StructHashDigestAndSignature() public view {
        uint256 n = _count();
        assertGe(n, 3);
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
                digest
            );
            assertEq(registry.hashSubmission(s), digest, "hashSubmission");

            bytes memory signature = json.readBytes(string.concat(p, ".signature"));
            (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, digest);
            assertEq(abi.encodePacked(r, sig, v), signature, "vm.sign reproduces the signature");
            assertEq(ECDSA.recover(digest, signature), s.contributor);
        }
    }

    function test_vectors_BasicSubmitsEndToEnd() public {
        string memory p = _vector(0);
        assertEq(json.readString(string.concat(p, ".name")), "basic");
        ISubmissionRegistry.Submission memory s = _load(p);
        assertEq(s.datasetId, 1);
        assertEq(s.epoch, config.currentEpoch(1));
        assertEq(s.ritualId, coordinator.activeRitualId());
        bytes memory signature = json.readBytes(string.concat(p, ".signature"));
        vm.prank(relayer);
        registry.submit(s, signature);
        assertEq(registry.submissionOf(s.fileId).contributor, s.contributor);
    }
}
