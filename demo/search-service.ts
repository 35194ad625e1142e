import { RateLimited, type CacheEngine, type Duration } from '../lib/index.js';
import type { ProductRepository, SearchResult } from './product-repository.js';

/** What `GET /search` calls. */
export interface SearchService {
  search(query: string): Promise<SearchResult>;
}

/** Results per search. */
const SEARCH_LIMIT = 20;

/**
 * The search service of one app (declared in a function for the reason given in
 * product-service.ts; here also because the limit comes from the environment).
 */
export function createSearchService(cache: CacheEngine, repository: ProductRepository, limit: number, window: Duration): SearchService {
  class SearchService {
    // Searches are expensive and not cached: each one is limited instead. The bucket is the
    // client (httpCache's default key, ctx.ip), shared by every replica through one Redis script,
    // so spreading requests over replicas does not multiply the allowance.
    @RateLimited({ cache, limit, window })
    async search(query: string): Promise<SearchResult> {
      return repository.search(query, SEARCH_LIMIT);
    }
  }
  return new SearchService();
}
