import type { JSONWebKeySet, JWK } from 'jose';
import { generateSigningKey, type SigningAlgorithm, type SigningKey } from './signing-key.js';

/** Public description of a key held by a test issuer. */
export interface TestKeyInfo {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** Whether the key is currently listed in the JWKS. */
  readonly published: boolean;
  /** Whether new tokens are signed with this key. */
  readonly active: boolean;
  readonly publicJwk: Readonly<JWK>;
}

/** Options of {@link KeyStore.add}. */
export interface AddKeyOptions {
  /** Algorithm of the new key; defaults to the issuer's algorithm. */
  algorithm?: SigningAlgorithm;
  /** Key id; defaults to the key's thumbprint. Must not collide with a key the issuer already holds. */
  kid?: string;
  /** List the key in the JWKS (default `true`). */
  publish?: boolean;
  /** Sign new tokens with the key (default `false`). */
  activate?: boolean;
}

interface StoredKey {
  key: SigningKey;
  published: boolean;
}

/**
 * The signing keys of a test issuer: which are published in the JWKS, which one signs new tokens, and
 * "foreign" keys that are never published (for tokens signed by a key the issuer does not vouch for).
 */
export class KeyStore {
  readonly #keys = new Map<string, StoredKey>();
  readonly #foreign = new Map<SigningAlgorithm, Promise<SigningKey>>();
  #activeKid = '';
  readonly #defaultAlgorithm: SigningAlgorithm;

  private constructor(defaultAlgorithm: SigningAlgorithm) {
    this.#defaultAlgorithm = defaultAlgorithm;
  }

  /** Creates a store holding one published, active key. */
  static async create(algorithm: SigningAlgorithm, kid?: string): Promise<KeyStore> {
    const store = new KeyStore(algorithm);
    await store.add({ kid, activate: true });
    return store;
  }

  /** The key new tokens are signed with. */
  get active(): SigningKey {
    return this.#keys.get(this.#activeKid)!.key;
  }

  /** Generates and stores a key. */
  async add(options: AddKeyOptions = {}): Promise<TestKeyInfo> {
    if (options.kid !== undefined && this.#keys.has(options.kid)) {
      throw new Error(`The issuer already holds a key with kid "${options.kid}"`);
    }
    const key = await generateSigningKey(options.algorithm ?? this.#defaultAlgorithm, options.kid);
    this.#keys.set(key.kid, { key, published: options.publish ?? true });
    if (options.activate) this.#activeKid = key.kid;
    return this.info(key.kid)!;
  }

  /** Removes a key from the JWKS. Its private half stays available to `mint(..., { kid })`. */
  unpublish(kid: string): boolean {
    const stored = this.#keys.get(kid);
    if (!stored?.published) return false;
    stored.published = false;
    return true;
  }

  /** Adds a new active, published key; unpublishes all the others unless `keepPrevious`. */
  async rotate(options: { keepPrevious?: boolean; algorithm?: SigningAlgorithm } = {}): Promise<TestKeyInfo> {
    const added = await this.add({ algorithm: options.algorithm, activate: true });
    if (options.keepPrevious === false) {
      for (const kid of this.#keys.keys()) if (kid !== added.kid) this.unpublish(kid);
    }
    return this.info(added.kid)!;
  }

  /** Looks a key up by kid. */
  get(kid: string): SigningKey | undefined {
    return this.#keys.get(kid)?.key;
  }

  /** A key of `alg` that is never published; one per algorithm, generated on first use. */
  foreign(alg: SigningAlgorithm): Promise<SigningKey> {
    let key = this.#foreign.get(alg);
    if (!key) {
      key = generateSigningKey(alg, 'foreign');
      this.#foreign.set(alg, key);
    }
    return key;
  }

  /** Describes one key. */
  info(kid: string): TestKeyInfo | undefined {
    const stored = this.#keys.get(kid);
    if (!stored) return undefined;
    const { key, published } = stored;
    return { kid, alg: key.alg, published, active: kid === this.#activeKid, publicJwk: key.publicJwk };
  }

  /** Describes every key, in the order they were added. */
  list(): TestKeyInfo[] {
    return [...this.#keys.keys()].map((kid) => this.info(kid)!);
  }

  /** The JWKS document: the public JWKs of the published keys, as fresh copies. */
  publicJwks(): JSONWebKeySet {
    const keys: JWK[] = [];
    for (const { key, published } of this.#keys.values()) if (published) keys.push({ ...key.publicJwk });
    return { keys };
  }
}
