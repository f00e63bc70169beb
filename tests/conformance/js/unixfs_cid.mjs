#!/usr/bin/env node
// UnixFS CIDs from the IPFS project's JavaScript importer (ipfs-unixfs-importer), an implementation
// independent of node/storage/unixfs.py. tests/conformance/test_unixfs_js.py compares the two.
//
// Usage:
//   node unixfs_cid.mjs [layout options] INPUT...
//   node unixfs_cid.mjs --batch < request.json
//
// INPUT is a file path, or `chacha20:SEED:SIZE`: SIZE bytes of the ChaCha20 keystream under key
// sha256(SEED), zero nonce, counter 0 (the stream Kubo's own tests hash, and the one
// tests/unit/node/storage/storage_testing.py computes in Python), generated lazily so a large
// input never sits in memory or on disk.
//
// Layout options (defaults are the project's layout, DESIGN §3):
//   --cid-version 0|1   (default 1)
//   --raw-leaves / --no-raw-leaves   (default: on for CIDv1, off for CIDv0, as Kubo does)
//   --chunk-size N      fixed-size chunker, bytes (default 262144)
//   --max-links N       balanced layout, children per node (default 174)
//   --kubo-v0           `ipfs add` with no flags: the importer's 'unixfs-v0-2015' profile
// Prints one JSON object per input: {"input", "cid", "size"}.
//
// --batch reads {"cases": [{"input": INPUT, "layout": {cid_version, raw_leaves, chunk_size,
// max_links} | {"profile": "unixfs-v0-2015"}}, ...]} and prints one JSON array of results, so a
// test pays Node's start-up once.
//
// Settings that are Kubo's and not the importer's defaults are passed explicitly: leaves without
// raw leaves are UnixFS `file` nodes, a file of one chunk is that chunk's node
// (reduceSingleLeafToSelf), links are written before data. Blocks are hashed and dropped: the
// blockstore keeps nothing, so memory stays flat however large the input.

import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

const PIECE = 1 << 20

/** The ChaCha20 keystream (RFC 8439 layout: 4-byte LE counter ‖ 12-byte nonce, all zero). */
async function * chacha20 (seed, size) {
  const key = createHash('sha256').update(seed, 'utf8').digest()
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(PIECE)
  let left = size
  while (left > 0) {
    const n = Math.min(left, PIECE)
    yield cipher.update(n === PIECE ? zeros : zeros.subarray(0, n))
    left -= n
  }
}

function content (input) {
  const m = /^chacha20:(.*):(\d+)$/s.exec(input)
  if (m !== null) {
    return chacha20(m[1], Number(m[2]))
  }
  return createReadStream(input, { highWaterMark: PIECE })
}

/** Importer options for a layout; throws on anything the project's Layout would refuse. */
function importerOptions (layout) {
  const common = {
    reduceSingleLeafToSelf: true,
    leafType: 'file',
    fieldOrder: 'links-first',
    wrapWithDirectory: false
  }
  if (layout.profile !== undefined) {
    if (layout.profile !== 'unixfs-v0-2015') throw new Error(`unknown profile ${layout.profile}`)
    return { ...common, profile: layout.profile }
  }
  const cidVersion = layout.cid_version ?? 1
  if (cidVersion !== 0 && cidVersion !== 1) throw new Error(`cid_version ${cidVersion}`)
  const rawLeaves = layout.raw_leaves ?? cidVersion === 1
  const chunkSize = layout.chunk_size ?? 262144
  const maxLinks = layout.max_links ?? 174
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunk_size ${chunkSize}`)
  if (!Number.isInteger(maxLinks) || maxLinks < 2) throw new Error(`max_links ${maxLinks}`)
  return {
    ...common,
    cidVersion,
    rawLeaves,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode: maxLinks })
  }
}

const nullBlockstore = { put: async (cid) => cid }

async function cidOf (input, layout) {
  let last
  for await (const entry of importer([{ content: content(input) }], nullBlockstore, importerOptions(layout))) {
    last = entry
  }
  if (last === undefined) throw new Error(`no result for ${input}`)
  return { input, cid: last.cid.toString(), size: Number(last.unixfs?.fileSize() ?? last.size) }
}

async function main () {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      batch: { type: 'boolean' },
      'kubo-v0': { type: 'boolean' },
      'cid-version': { type: 'string' },
      'raw-leaves': { type: 'boolean' },
      'no-raw-leaves': { type: 'boolean' },
      'chunk-size': { type: 'string' },
      'max-links': { type: 'string' }
    }
  })
  if (values.batch) {
    const chunks = []
    for await (const chunk of process.stdin) chunks.push(chunk)
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const results = []
    for (const c of request.cases) results.push(await cidOf(c.input, c.layout))
    process.stdout.write(JSON.stringify(results) + '\n')
    return
  }
  if (positionals.length === 0) throw new Error('no INPUT (a file path or chacha20:SEED:SIZE)')
  let layout
  if (values['kubo-v0']) {
    layout = { profile: 'unixfs-v0-2015' }
  } else {
    layout = {}
    if (values['cid-version'] !== undefined) layout.cid_version = Number(values['cid-version'])
    if (values['raw-leaves']) layout.raw_leaves = true
    if (values['no-raw-leaves']) layout.raw_leaves = false
    if (values['chunk-size'] !== undefined) layout.chunk_size = Number(values['chunk-size'])
    if (values['max-links'] !== undefined) layout.max_links = Number(values['max-links'])
  }
  for (const input of positionals) {
    process.stdout.write(JSON.stringify(await cidOf(input, layout)) + '\n')
  }
}

main().catch((err) => {
  process.stderr.write(`unixfs_cid: ${err.message}\n`)
  process.exit(1)
})
