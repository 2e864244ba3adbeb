/**
 * Every protocol constant of Cairn in one place: labels, domain-separation
 * tags, media types and versions. Types derive from these. PROTOCOL.md quotes
 * them; a change here is a change of the wire protocol.
 */

/** Cairn protocol version advertised in the node descriptor. */
export const PROTOCOL_VERSION = 'cairn/2' as const;

/**
 * The match exchange of cairn/2 (protocol/35-federation.md): versioned paths
 * and media type, and the fixed sizes a request's blinded elements are padded
 * to, so the count says nothing about which identifiers the searcher held.
 */
export const FEDERATION = {
  /** Peer-facing match, confirmation and token index routes. */
  prefix: '/federation/v2',
  /**
   * Paths a node no longer serves, answered with protocol_version_unsupported:
   * cairn/1 match and confirmation, and the index routes an early cairn/2
   * node served under the v1 prefix.
   */
  retiredPaths: ['/federation/v1/match', '/federation/v1/hits', '/federation/v1/index/heads', '/federation/v1/index/changes', '/federation/v1/index/snapshot'],
  /** Content type of every request under `prefix` and of its answers (problems are application/problem+json). */
  mediaType: 'application/vnd.cairn.federation.v2+json',
  /** Allowed element counts of a match request, smallest first; the last is the most a request may carry. */
  paddedSizes: [8, 16, 32, 64],
  /**
   * The most records one confirmation discloses (hit receipts per answer):
   * a token more records hold is answered for this many, and the searcher
   * tells its analyst how many more the peer's index lists.
   */
  maxReceipts: 20,
  /**
   * Default of federation.witnessIntervalMs: a searcher checks each peer's
   * checkpoints about once a minute at most, not at each of its answers.
   */
  witnessIntervalMs: 60_000,
} as const;

/** Largest node descriptor (`/.well-known/cairn/node`) a node reads from a peer; reading stops there. */
export const DESCRIPTOR_MAX_BYTES = 64 * 1024;

/**
 * Problem codes a peer may answer before it has authenticated a request
 * (protocol/30-federation-auth.md, protocol/35-federation.md), by status:
 * such a problem is unsigned, so a searcher takes its status, and its code
 * only from this list to decide what to do next (a `signature_invalid`
 * makes it look at the peer's descriptor for a rotated key); it never
 * reports or logs an unsigned problem's own words.
 */
export const UNSIGNED_PROBLEM_CODES = {
  400: ['invalid_request', 'digest_mismatch', 'protocol_version_unsupported'],
  401: ['signature_missing', 'peer_unknown', 'timestamp_skew', 'signature_invalid'],
  403: ['peer_revoked', 'peer_repin_required'],
  404: ['not_found'],
  409: ['nonce_replayed'],
  413: ['body_too_large'],
  429: ['rate_limited'],
  503: ['unavailable'],
} as const satisfies Record<number, readonly string[]>;

/** Media types (DSSE payload types and HTTP content types). */
export const MEDIA_TYPES = {
  nodeDescriptor: 'application/vnd.cairn.node+json',
  hitReceipt: 'application/vnd.cairn.hit-receipt+json',
  searchReceipt: 'application/vnd.cairn.search-receipt+json',
  /** A new signing key's statement, in its `keys.rotate` audit entry, of the key it replaces (audit/statements.ts). */
  keySuccession: 'application/vnd.cairn.key-succession+json',
  /** The node's statement, in an `audit.prune` entry, of the entries whose payloads a retention prune removed. */
  auditPrune: 'application/vnd.cairn.audit-prune+json',
  problem: 'application/problem+json',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
} as const;

/** DSSE (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md). */
export const DSSE = {
  /** Pre-authentication encoding prefix: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
  paePrefix: 'DSSEv1',
} as const;

/** RFC 9497 OPRF suite used for all tokens (§4.1 OPRF(ristretto255, SHA-512)). */
export const OPRF = {
  suite: 'ristretto255-SHA512',
  /** contextString prefix, RFC 9497 §3.1: "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier. */
  contextPrefix: 'OPRFV1-',
  modes: { oprf: 0x00, voprf: 0x01, poprf: 0x02 },
  labels: {
    hashToGroup: 'HashToGroup-',
    hashToScalar: 'HashToScalar-',
    deriveKeyPair: 'DeriveKeyPair',
    finalize: 'Finalize',
    seed: 'Seed-',
    composite: 'Composite',
    challenge: 'Challenge',
    info: 'Info',
  },
  /** Sizes in bytes (Ne, Ns, Nh for ristretto255-SHA512). */
  elementSize: 32,
  scalarSize: 32,
  hashSize: 64,
  proofSize: 64,
  /** Bytes drawn from the RNG per random scalar: Ns + Ns/2, so the reduction bias is negligible. */
  randomScalarBytes: 48,
  /** RFC 9497 §1.2: inputs are length-prefixed with two bytes, so at most 2^16 - 1 bytes. */
  maxInputLength: 0xffff,
} as const;

/** Ed25519 sizes in bytes (RFC 8032 §5.1.5, §5.1.6). */
export const ED25519 = {
  seedSize: 32,
  publicKeySize: 32,
  signatureSize: 64,
} as const;

/**
 * Audit log (protocol/40-audit-log.md): RFC 6962 §2.1 / RFC 9162 §2.1.1
 * hashing, and the C2SP signed-note, tlog-checkpoint and tlog-cosignature
 * formats its checkpoints use.
 */
export const MERKLE = {
  leafPrefix: 0x00,
  nodePrefix: 0x01,
  /** SHA-256 output size: every leaf, node and root hash. */
  hashSize: 32,
  /** Checkpoint origin is `<node base URL host>` + this suffix. */
  originSuffix: '/cairn-audit',
  /** A node's name as a witness cosigning peers' checkpoints: `<host>/cairn-witness`. */
  witnessSuffix: '/cairn-witness',
  /** Upper bound on proof lengths accepted from outside (2 x 64 levels). */
  maxProofHashes: 128,
  /** c2sp.org/signed-note. */
  note: {
    /** U+2014 EM DASH, then a space, opens every signature line. */
    signaturePrefix: '\u2014 ',
    /** Signature type bytes (key ID input and vkey prefix). */
    sigTypeEd25519: 0x01,
    sigTypeCosignatureV1: 0x04,
    /** Accept at least 16 signatures (the spec's floor); refuse more than this. */
    maxSignatures: 64,
    /** A note larger than this is refused before parsing. */
    maxBytes: 256 * 1024,
    keyIdBytes: 4,
  },
  /** c2sp.org/tlog-checkpoint. */
  checkpoint: {
    maxExtensionLines: 16,
  },
  /** c2sp.org/tlog-cosignature, Ed25519 (type 0x04) signed message header. */
  cosignature: {
    header: 'cosignature/v1',
    timeLabel: 'time',
  },
} as const;

/** HTTP defaults. */
export const HTTP = {
  /** Default maximum request body in bytes (1 MiB). */
  maxBodyBytes: 1024 * 1024,
  requestIdHeader: 'x-request-id',
} as const;

/** Well-known paths. */
export const PATHS = {
  descriptor: '/.well-known/cairn/node',
  healthz: '/healthz',
  metrics: '/metrics',
  openapi: '/openapi.json',
} as const;

/** Problem type URIs are this prefix + the error code (RFC 9457 §3.1.1). */
export const PROBLEM_TYPE_BASE = 'urn:cairn:problem:' as const;

/**
 * Match keys (protocol/10-identifiers.md). An encoded key is
 * prefix || version || typeId || field*, each field I2OSP(len, 2) || bytes.
 * Changing any value here, the normalisation or the phonetic rules changes
 * every key and needs a new version.
 */
export const MATCH_KEYS = {
  prefix: 'cairn-mk',
  version: 0x01,
  /** Bucket: first b bits of SHA-256(bucketLabel || encodedKey). */
  bucketLabel: 'cairn-mk-bucket-v1',
  bucketBits: { min: 1, max: 24 },
  /** Ordered weakest first; a pair matches at S if it shares a key of strength >= S. */
  strengths: ['possible', 'probable', 'strong'],
  types: {
    document: { id: 0x01, strength: 'strong' },
    phone: { id: 0x02, strength: 'strong' },
    email: { id: 0x03, strength: 'strong' },
    handle: { id: 0x04, strength: 'strong' },
    fileSha256: { id: 0x05, strength: 'strong' },
    // 0x10 (nameDob) is retired: never derived, never accepted.
    phoneticPairDob: { id: 0x11, strength: 'probable' },
    // 0x12 (phoneticEditDob) is retired: its keys are 0x11 keys now.
    phoneticPairDobUnordered: { id: 0x20, strength: 'possible' },
    phoneticPairYear: { id: 0x21, strength: 'possible' },
    // 0x22 (phoneticEditYear) is retired: never derived, never accepted.
    phoneticPairExactYear: { id: 0x23, strength: 'possible' },
    phoneticSingleDob: { id: 0x24, strength: 'possible' },
  },
} as const;

/**
 * Federation request and response authentication (protocol/30-federation-auth.md),
 * in the manner of RFC 9421 (HTTP Message Signatures) with an RFC 9530
 * Content-Digest. Every value here is part of the signed bytes or the wire.
 */
export const FEDERATION_SIGNATURE = {
  /** First line of a request signature base (RFC 9421 §2.3 `tag`, fixed). */
  requestLabel: 'cairn-request-v1',
  /** First line of a response signature base. */
  responseLabel: 'cairn-response-v1',
  headers: {
    contentDigest: 'Content-Digest',
    keyId: 'Cairn-Key-Id',
    recipient: 'Cairn-Recipient',
    timestamp: 'Cairn-Timestamp',
    nonce: 'Cairn-Nonce',
    signature: 'Cairn-Signature',
  },
  /** The one RFC 9530 hash algorithm key Cairn sends and accepts. */
  digestAlgorithm: 'sha-256',
  nonceBytes: 16,
  signatureBytes: 64,
  /** Default accepted clock difference, either direction, in seconds. */
  maxSkewSeconds: 300,
} as const;

/** Console sessions (users/sessions.ts): lifetimes and sizes. */
export const SESSION = {
  /** Signed out after this long without a request. */
  idleMs: 30 * 60 * 1000,
  /** Signed out this long after signing in, however active. */
  absoluteMs: 12 * 60 * 60 * 1000,
  /** last_seen_at is rewritten at most this often, to spare the database a write per page. */
  touchEveryMs: 60 * 1000,
  /** Random bytes in a session id and a CSRF token. */
  idBytes: 32,
} as const;

/**
 * Token indexes (protocol/37-token-index.md): every node publishes, per
 * record category, the sorted multiset of short fingerprints of its tokens,
 * split into shards by the fingerprint's first bytes, hashed per shard, per
 * group of shards and once more into a root that a signed head carries.
 */
export const INDEX = {
  /** Fingerprint = first `fingerprintBytes` of SHA-256(fingerprintLabel || token). */
  fingerprintLabel: 'cairn-index-fp-v1',
  fingerprintBytes: 8,
  /** A fingerprint's shard is its first `shardBits` bits (big-endian). */
  shardBits: 16,
  shardCount: 65536,
  /** Shards per group: a group hash covers this many consecutive shard hashes. */
  groupSize: 256,
  groupCount: 256,
  shardLabel: 'cairn-index-shard-v1',
  groupLabel: 'cairn-index-group-v1',
  rootLabel: 'cairn-index-root-v1',
  /** Each head's change chain: SHA-256(chainLabel || previous chain || op || fingerprint) per change (index/chain.ts). */
  chainLabel: 'cairn-index-chain-v1',
  /** DSSE payload type of a signed index head. */
  headPayloadType: 'application/vnd.cairn.index-head+json',
  headVersion: 1,
  /**
   * A replica merges its verified changes into its shards (checking the
   * root) in the background once a delta or a sync leaves it with this many
   * unmerged ones; the hourly job merges every replica whatever the number.
   */
  replicaMergeAt: 50_000,
  /** Most changes one delta carries (riding on an answer or asked for); a delta of more is refused. */
  maxDeltaChanges: 20_000,
  /**
   * Most fingerprints a replica of one peer's index of one category may
   * hold (800 MB of shards, some 6.7 million records at 15 tokens each): a
   * head that claims more is refused before any page is fetched, and a
   * replica is never let grow past it.
   */
  maxReplicaCount: 100_000_000,
  /**
   * Unmerged changes a replica may hold beyond its head's count (the
   * smaller of the head's count and maxReplicaCount). Past that, a full
   * transfer of the head's count fingerprints costs less than catching up,
   * and the changes of a catch-up that no signed head has verified yet are
   * bounded: the replica goes `stale` and is transferred anew.
   */
  maxUnmergedBeyondCount: 20_000,
  /** Shards read per block of a snapshot page; a page is whole blocks ... */
  maxSnapshotShards: 4096,
  /** ... until it holds at least this many fingerprints (3.2 MB), or the shards run out. */
  maxSnapshotFingerprints: 400_000,
  /** The owner keeps changes for at least this long ... */
  logWindowDays: 30,
  /** ... unless there are more than this many per category (then a replica resyncs fully). */
  maxLogChanges: 2_000_000,
  /** How often a serving node asks every peer for its heads (and deltas) in the background. */
  syncIntervalMs: 5 * 60 * 1000,
  /**
   * How long a search waits for a replica that an answer found missing or
   * stale to catch up, before it reports the peer as still syncing. The
   * fingerprints are then looked up in the fresh replica from memory; the
   * peer is not asked again. A sync that takes longer goes on in the background.
   */
  catchUpMs: 15_000,
} as const;

/**
 * Key lifecycle (protocol/32-key-rotation.md): signing-key rotation with a
 * cross-signed overlap, and the rotation policy operators are reminded of.
 */
export const KEYS = {
  /** Days a rotated-out signing key keeps cross-signing the descriptor (`--overlap-days`). */
  defaultOverlapDays: 14,
  /** Longest overlap an operator may state: a retiring key should not linger. */
  maxOverlapDays: 90,
  /** Default `keys.rotateEveryDays`: the signing key yearly, the VOPRF key every quarter. */
  rotateEveryDays: { signing: 365, oprf: 90 },
  /**
   * A peer's descriptor is fetched again on an unknown key id (in a request or
   * a response) at most this often per peer: an unauthenticated request cannot
   * make the node fetch descriptors faster than that.
   */
  descriptorRecheckMs: 30_000,
  /**
   * A request signed by a key no peer holds makes the node look at every
   * active peer's descriptor at most this often, even a peer looked at
   * within descriptorRecheckMs: a peer's request right after its rotation is
   * refused for at most this long (key-rotation.ts).
   */
  unknownKeySweepMs: 5_000,
  /** How often a serving Node process looks at its key files for a rotation made by `cairn keys rotate`. */
  reloadIntervalMs: 1_000,
  /** A descriptor lists at most this many retiring keys besides the current one. */
  maxRetiringKeys: 1,
} as const;

/**
 * Room on the disk under a Node node's database (Ports.storage): /healthz
 * says `low` below the first and `full` below the second, where the node
 * may refuse any write at the next moment (SQLite grows its WAL by whole
 * pages; an import batch of 500 records needs a few megabytes). Only
 * `full` makes /healthz answer 503. Prometheus alerts on the same gauges
 * (deploy/prometheus/cairn-alerts.yml).
 */
export const STORAGE = {
  lowBelowBytes: 256 * 1024 * 1024,
  fullBelowBytes: 16 * 1024 * 1024,
} as const;
