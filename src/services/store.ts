// The store (AutoGPT's marketplace) read side: listings, creators, the caller's profile and submissions.
//
// Agentry has no marketplace listings, creator profiles or submissions yet: the lists are the real, empty ones and a
// named agent, listing version, creator or the caller's profile does not exist. v1's /store and v2's /marketplace
// both answer from here.
import { ApiError } from "../core/errors.js";

export interface Page<T> {
  items: T[];
  total: number;
}

/** AutoGPT's filters of store agents, by the names both External API versions give them. */
export interface AgentQuery {
  featured?: boolean;
  creator?: string;
  category?: string;
  search_query?: string;
  /** rating, runs, name or updated_at; ignored with a search_query. */
  sorted_by?: unknown;
}

export interface CreatorQuery {
  featured?: boolean;
  search_query?: string;
  /** agent_rating, agent_runs or num_agents. */
  sorted_by?: unknown;
}

// Until listings, creators and submissions can exist, their lists are `Page<never>` and their lookups `never`
// (they always throw): the types say what the store can hold today.
const empty = (): Page<never> => ({ items: [], total: 0 });

export class StoreService {
  async listAgents(_query: AgentQuery): Promise<Page<never>> {
    return empty();
  }

  /** A listing by creator username and agent slug (both case-insensitive). */
  async getAgent(username: string, agentName: string): Promise<never> {
    const user = username.toLowerCase();
    const slug = agentName.toLowerCase();
    throw ApiError.notFound(`Store agent ${user}/${slug}`, { username: user, agent_name: slug });
  }

  async getAgentByListingVersion(versionId: string): Promise<never> {
    throw ApiError.notFound(`Store listing version #${versionId}`);
  }

  async listCreators(_query: CreatorQuery): Promise<Page<never>> {
    return empty();
  }

  async getCreator(username: string): Promise<never> {
    const user = username.toLowerCase();
    throw ApiError.notFound(`Store creator ${user}`, { username: user });
  }

  /** The caller's creator profile. */
  async profile(_userId: string): Promise<never> {
    throw ApiError.notFound("Profile");
  }

  async listSubmissions(_userId: string): Promise<Page<never>> {
    return empty();
  }
}
