import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cached, HttpCacheable, type CacheEngine } from '../lib/index.js';
import { CATEGORIES } from './product.js';

/** What `GET /me` returns: one user's data, never to be stored by a shared cache. */
export interface Profile {
  readonly user: string;
  readonly displayName: string;
  readonly favouriteCategory: string;
  readonly memberSince: string;
  /** When the profile was built: it stays the same while the cached entry lives. */
  readonly generatedAt: string;
}

/** What `GET /me` calls. */
export interface AccountService {
  getProfile(user: string): Promise<Profile>;
}

/**
 * The account service of one app (declared in a function for the reason given in
 * product-service.ts). The user is the method's argument, so the cache key is per user: one
 * user's profile can never answer another's request.
 */
export function createAccountService(cache: CacheEngine, slowMs: number): AccountService {
  class AccountService {
    // `private`: browsers may keep it, shared caches must not. httpCache would make it private
    // anyway, since the request carries Authorization, and adds `Vary: Authorization`.
    @HttpCacheable({ visibility: 'private', maxAge: 30 })
    @Cached({ cache, ttl: '5m' })
    async getProfile(user: string): Promise<Profile> {
      if (slowMs > 0) await sleep(slowMs); // stands for the users table
      const digest = createHash('sha256').update(user).digest();
      return {
        user,
        displayName: user.charAt(0).toUpperCase() + user.slice(1),
        favouriteCategory: CATEGORIES[digest[0]! % CATEGORIES.length]!,
        memberSince: new Date(Date.UTC(2020, 0, 1) + (digest.readUInt32BE(1) % 1_826) * 86_400_000).toISOString().slice(0, 10),
        generatedAt: new Date().toISOString(),
      };
    }
  }
  return new AccountService();
}
